// Webinar registrations (api/virtualeventwebinar-post-registrations.md, virtualeventregistration-
// list.md, virtualeventregistration-cancel.md). App-only tokens get 204 and no body on create.
// Town halls have no registrations collection.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type GraphCtx, GraphError, graphRoute, page, requireString } from "../http.ts";
import type { TeamsSimState } from "../state.ts";
import type { SimEvent, SimRegistration } from "../types.ts";

const BASE = "/solutions/virtualEvents/webinars/:id/registrations";

export function renderRegistration(r: SimRegistration) {
  return {
    id: r.id,
    email: r.email,
    firstName: r.firstName,
    lastName: r.lastName,
    status: r.status,
    registrationDateTime: r.registrationDateTime,
    cancelationDateTime: r.cancelationDateTime,
    preferredTimezone: r.preferredTimezone,
    preferredLanguage: r.preferredLanguage,
    userId: null,
  };
}

export function registrationsResource(ev: SimEvent): string {
  return `solutions/virtualEvents/webinars/${ev.id}/registrations`;
}

/** Stores a registration and notifies subscribers; shared by the API and the control API. */
export function addRegistration(
  state: TeamsSimState,
  ev: SimEvent,
  person: {
    email: string;
    firstName: string;
    lastName: string;
    preferredTimezone: string;
    preferredLanguage: string;
  },
): SimRegistration {
  const key = person.email.toLowerCase();
  const holding = ev.registrations.find((r) => r.email.toLowerCase() === key && r.status === "registered");
  if (holding && state.knobs.duplicateEmail === "conflict") {
    throw new GraphError(409, "Conflict", "The registrant is already registered for this event.");
  }
  const reg: SimRegistration = {
    id: randomUUID(),
    ...person,
    status: "registered",
    registrationDateTime: new Date().toISOString(),
    cancelationDateTime: null,
  };
  ev.registrations.push(reg);
  ev.createdCount.set(key, (ev.createdCount.get(key) ?? 0) + 1);
  const resource = registrationsResource(ev);
  state.notify(ev.tenantId, resource, "created", {
    type: "#microsoft.graph.virtualEventRegistration",
    id: `${resource}/${reg.id}`,
  });
  return reg;
}

export function cancelRegistration(state: TeamsSimState, ev: SimEvent, reg: SimRegistration): void {
  if (reg.status === "canceled")
    throw new GraphError(400, "BadRequest", "The registration is already canceled.");
  reg.status = "canceled";
  reg.cancelationDateTime = new Date().toISOString();
  const resource = registrationsResource(ev);
  state.notify(ev.tenantId, resource, "updated", {
    type: "#microsoft.graph.virtualEventRegistration",
    id: `${resource}/${reg.id}`,
  });
}

/** `$filter=email eq '…'` (OData string, quotes doubled); other filters are refused like Graph does. */
function filterByEmail(ctx: GraphCtx, regs: SimRegistration[]): SimRegistration[] {
  const filter = ctx.query.$filter;
  if (filter === undefined) return regs;
  const m = /^email eq '((?:[^']|'')*)'$/i.exec(filter.trim());
  if (!m) throw new GraphError(400, "BadRequest", "Invalid filter clause: only email eq '…' is supported.");
  const email = (m[1] ?? "").replaceAll("''", "'").toLowerCase();
  return regs.filter((r) => r.email.toLowerCase() === email);
}

function registration(ev: SimEvent, id: string): SimRegistration {
  const reg = ev.registrations.find((r) => r.id === id);
  if (!reg) throw new GraphError(404, "NotFound", "The registration was not found.");
  return reg;
}

export function registrationRoutes(app: FastifyInstance, state: TeamsSimState): void {
  graphRoute(app, state, "POST", BASE, (ctx) => {
    const ev = state.event(ctx.grant.tenantId, "webinars", ctx.params.id ?? "");
    if (ev.status !== "published") {
      throw new GraphError(
        400,
        "BadRequest",
        `Registration is not open for an event in status '${ev.status}'.`,
      );
    }
    const email = requireString(ctx.body, "email");
    if (!/^[^\s@]+@[^\s@]+$/.test(email))
      throw new GraphError(400, "BadRequest", "The property 'email' is not a valid email address.");
    addRegistration(state, ev, {
      email,
      firstName: requireString(ctx.body, "firstName"),
      lastName: requireString(ctx.body, "lastName"),
      preferredTimezone: requireString(ctx.body, "preferredTimezone"),
      preferredLanguage: requireString(ctx.body, "preferredLanguage"),
    });
    // Application permission: 204 No Content, no id (the caller must look it up by e-mail).
    return { status: 204 };
  });
  graphRoute(app, state, "GET", BASE, (ctx) => {
    const ev = state.event(ctx.grant.tenantId, "webinars", ctx.params.id ?? "");
    return page(
      ctx,
      filterByEmail(ctx, ev.registrations).map(renderRegistration),
      `/solutions/virtualEvents/webinars/${ev.id}/registrations`,
    );
  });
  graphRoute(app, state, "GET", `${BASE}/:rid`, (ctx) => {
    const ev = state.event(ctx.grant.tenantId, "webinars", ctx.params.id ?? "");
    return { status: 200, body: renderRegistration(registration(ev, ctx.params.rid ?? "")) };
  });
  graphRoute(app, state, "POST", `${BASE}/:rid/cancel`, (ctx) => {
    const ev = state.event(ctx.grant.tenantId, "webinars", ctx.params.id ?? "");
    cancelRegistration(state, ev, registration(ev, ctx.params.rid ?? ""));
    return { status: 204 };
  });
}
