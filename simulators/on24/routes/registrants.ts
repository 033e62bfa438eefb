// REST Registration (create / upsert / soft-delete), event-level PATCH, and the registrant lists.
import { type Form, field } from "../forms.ts";
import { jsonList, type RouteCtx, type RouteDef, yesNo } from "../http.ts";
import { API_DIALECT, MSG, On24Error } from "../messages.ts";
import { REG_FIELDS, renderRegistrantRecord, renderRegistrantWrite, UTM_FIELDS } from "../render.ts";
import { parseQueryDate } from "../time.ts";
import type { SimEvent, SimRegistrant } from "../types.ts";
import { recordConfirmation } from "./emails.ts";
import { hasStarted, requireEvent } from "./events.ts";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DAY = 86_400_000;

export const sameEmail = (a: string | undefined, b: string) => (a ?? "").toLowerCase() === b.toLowerCase();

export function findByEmail(ctx: RouteCtx, eventId: number, email: string): SimRegistrant | undefined {
  return [...ctx.state.registrants.values()].find(
    (r) => r.eventId === eventId && r.status !== "forgotten" && sameEmail(r.fields.email, email),
  );
}

/** Registration-page validation: required fields (honorrequired) and list options (honorvalidation). */
function validateFields(
  ev: SimEvent,
  values: Record<string, string>,
  ctx: RouteCtx,
  isCreate: boolean,
): void {
  const honorRequired = yesNo(ctx.query.honorrequired, true, MSG.badHonorRequired);
  const honorValidation = yesNo(ctx.query.honorvalidation, true, MSG.badHonorValidation);
  for (const f of ev.regfields) {
    const key = f.fieldid.replaceAll("_", "").toLowerCase();
    const v = values[key];
    const missing = v === undefined ? isCreate : v.trim() === "";
    if (honorRequired && f.required === "Y" && missing) {
      throw new On24Error(400, `The field ${f.fieldid} is required.`, "required registration field missing");
    }
    if (v === undefined || v === "") continue;
    if (f.validationtype === "email" && !EMAIL_RE.test(v)) {
      throw new On24Error(400, `The field ${f.fieldid} is not a valid email.`, "email validation");
    }
    if (honorValidation && f.options && !f.options.includes(v)) {
      throw new On24Error(
        400,
        `Invalid value for the field ${f.fieldid}.`,
        "value not among the field options",
      );
    }
  }
}

function pickFields(form: Form): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...REG_FIELDS, ...UTM_FIELDS]) {
    const v = field(form, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** ON24 forbids (un)deleting after the event started; the status code is undocumented, we use 400. */
function softDelete(ctx: RouteCtx, ev: SimEvent, isDeleted: string) {
  const email = field(ctx.form, "email");
  if (email === undefined) throw new On24Error(400, MSG.emailMissing);
  if (email.trim() === "") throw new On24Error(400, MSG.emailBlank);
  const flag = yesNo(isDeleted, false, "Invalid value for the isDeleted parameter.");
  const reg = findByEmail(ctx, ev.eventId, email);
  if (!reg) throw new On24Error(412, MSG.softDeleteWhileCreating);
  if (hasStarted(ctx, ev)) {
    throw new On24Error(400, "Deleting/Undeleting a registrant is not allowed after the event has started.");
  }
  reg.status = flag ? "deleted" : "active";
  reg.lastActivity = ctx.state.now();
  return { body: renderRegistrantWrite(reg) };
}

function register(ctx: RouteCtx) {
  const ev = requireEvent(ctx, { inactive: MSG.eventIdInactive });
  const isDeleted = field(ctx.form, "isDeleted");
  if (isDeleted !== undefined) return softDelete(ctx, ev, isDeleted);
  const values = pickFields(ctx.form);
  validateFields(ev, values, ctx, true);
  const now = ctx.state.now();
  const email = values.email ?? "";
  // Email is unique per event. ON24 does not document a second POST; we upsert (documented in README).
  const existing = email ? findByEmail(ctx, ev.eventId, email) : undefined;
  if (existing) {
    Object.assign(existing.fields, values, { email: existing.fields.email ?? email });
    existing.createCount++;
    existing.lastActivity = now;
    return { body: renderRegistrantWrite(existing) };
  }
  const reg: SimRegistrant = {
    eventuserid: ctx.state.nextId("eventuser"),
    eventId: ev.eventId,
    clientId: ev.clientId,
    fields: values,
    createdAt: now,
    lastActivity: now,
    status: "active",
    blocked: false,
    walkIn: false,
    createCount: 1,
    originalEmail: email,
  };
  ctx.state.registrants.set(reg.eventuserid, reg);
  // What ON24 would email the new registrant now (inspection: GET /_sim/emails).
  recordConfirmation(ctx.state, ev, email);
  return { body: renderRegistrantWrite(reg) };
}

function patchEventRegistrant(ctx: RouteCtx) {
  const ev = requireEvent(ctx, { inactive: MSG.eventIdInactive });
  const email = field(ctx.form, "email");
  if (email === undefined) throw new On24Error(400, MSG.emailMissing);
  if (email.trim() === "") throw new On24Error(400, MSG.emailBlank);
  const isBlocked = field(ctx.form, "isBlocked");
  const blocked = isBlocked === undefined ? undefined : yesNo(isBlocked, false, MSG.badIsBlocked);
  if (isBlocked !== undefined && isBlocked === "") throw new On24Error(400, MSG.badIsBlocked);
  const values = pickFields(ctx.form);
  delete values.email; // the email form field identifies the registrant; it is not renamed here
  validateFields(ev, values, ctx, false);
  const reg = findByEmail(ctx, ev.eventId, email);
  if (!reg) throw new On24Error(403, MSG.emailNotFoundPatch);
  Object.assign(reg.fields, values);
  if (blocked !== undefined) reg.blocked = blocked;
  reg.lastActivity = ctx.state.now();
  return { body: renderRegistrantWrite(reg) };
}

/** userstatus filter: absent → regular users; any; deleted; forgotten; all (deprecated) → regular + deleted. */
export function statusFilter(raw: string | undefined): (r: SimRegistrant) => boolean {
  switch ((raw ?? "").toLowerCase()) {
    case "":
      return (r) => r.status === "active";
    case "any":
      return () => true;
    case "deleted":
      return (r) => r.status === "deleted";
    case "forgotten":
      return (r) => r.status === "forgotten";
    case "all":
      return (r) => r.status !== "forgotten";
    default:
      throw new On24Error(400, "Bad request", "userstatus must be any, deleted, forgotten or all");
  }
}

function commonFilters(ctx: RouteCtx): (r: SimRegistrant) => boolean {
  const status = statusFilter(ctx.query.userstatus);
  const { partnerref, email } = ctx.query;
  return (r) =>
    status(r) &&
    (partnerref === undefined || r.fields.partnerref === partnerref) &&
    (email === undefined || sameEmail(r.fields.email, email));
}

/** Paging as documented for client-level lists: pageoffset (0-based), itemsperpage (default and max 100). */
export function page<T>(items: T[], query: Record<string, string>) {
  const offset = Math.max(0, Math.trunc(Number(query.pageoffset ?? 0)) || 0);
  const requested = Math.trunc(Number(query.itemsperpage ?? 100)) || 100;
  const per = Math.min(100, Math.max(1, requested));
  return {
    pagecount: Math.ceil(items.length / per),
    currentpage: offset,
    items: items.slice(offset * per, offset * per + per),
  };
}

function dateWindow(ctx: RouteCtx, defaultDays: number | null): [number, number] {
  const { startdate, enddate } = ctx.query;
  const now = ctx.state.now();
  const start =
    startdate !== undefined ? parseQueryDate(startdate) : defaultDays ? now - defaultDays * DAY : 0;
  const end = enddate !== undefined ? parseQueryDate(enddate) : Number.MAX_SAFE_INTEGER;
  if (start === null || end === null) throw new On24Error(400, MSG.badDates);
  return [start, end];
}

export const registrantRoutes: RouteDef[] = [
  {
    method: "POST",
    path: "/client/{clientId}/event/{eventId}/registrant",
    operationId: "Registration.RESTRegistrationAPI",
    dialect: API_DIALECT,
    handler: register,
  },
  {
    method: "PATCH",
    path: "/client/{clientId}/event/{eventId}/registrant",
    operationId: "Registration.UpdateRegistrantEventlevel",
    dialect: API_DIALECT,
    handler: patchEventRegistrant,
  },
  {
    // Event-level list: the spec documents no paging parameters, so every match is returned.
    method: "GET",
    path: "/client/{clientId}/event/{eventId}/registrant",
    operationId: "AnalyticsEventLevel.Registrants",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const ev = requireEvent(ctx);
      const [start, end] = dateWindow(ctx, null);
      const filter = commonFilters(ctx);
      const noshow = yesNo(ctx.query.noshow, false, "Bad request");
      const attended = ev.run && ctx.state.isPublished(ev) ? ev.run.attendance : new Map();
      const regs = ctx.state.visibleRegistrants(
        (r) =>
          r.eventId === ev.eventId &&
          filter(r) &&
          r.createdAt >= start &&
          r.createdAt <= end &&
          (!noshow || !attended.has(r.eventuserid)),
      );
      return {
        body: jsonList({ eventid: ev.eventId, totalregistrants: regs.length }, "registrants", regs, (r) =>
          renderRegistrantRecord(r, "event"),
        ),
      };
    },
  },
  {
    method: "GET",
    path: "/client/{clientId}/registrant",
    operationId: "AnalyticsClientLevel.Registrants",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const [start, end] = dateWindow(ctx, 30); // documented default: the last 30 days
      const filter = commonFilters(ctx);
      const regs = ctx.state.visibleRegistrants(
        (r) => r.clientId === ctx.clientId && filter(r) && r.createdAt >= start && r.createdAt <= end,
      );
      const p = page(regs, ctx.query);
      return {
        body: {
          clientid: ctx.clientId,
          totalregistrants: regs.length,
          pagecount: p.pagecount,
          currentpage: p.currentpage,
          registrants: p.items.map((r) => renderRegistrantRecord(r, "client")),
        },
      };
    },
  },
];
