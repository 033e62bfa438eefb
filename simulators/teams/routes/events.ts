// Webinars and town halls: create (draft), get, update, publish, cancel, sessions, and the
// organizer listing used as a credential probe. Graph paths: /solutions/virtualEvents/{webinars|townhalls}.
import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type GraphCtx, GraphError, graphRoute, page, requireString } from "../http.ts";
import type { TeamsSimState } from "../state.ts";
import type { DateTimeTimeZone, SimEvent } from "../types.ts";

const COLLECTIONS = ["webinars", "townhalls"] as const;

function dateTime(body: Record<string, unknown>, name: string): DateTimeTimeZone {
  const v = body[name] as { dateTime?: unknown; timeZone?: unknown } | undefined;
  if (!v || typeof v.dateTime !== "string" || Number.isNaN(Date.parse(v.dateTime))) {
    throw new GraphError(400, "BadRequest", `The property '${name}' must be a dateTimeTimeZone.`);
  }
  return { dateTime: v.dateTime, timeZone: typeof v.timeZone === "string" ? v.timeZone : "UTC" };
}

export function render(ev: SimEvent) {
  return {
    "@odata.type":
      ev.collection === "webinars"
        ? "#microsoft.graph.virtualEventWebinar"
        : "#microsoft.graph.virtualEventTownhall",
    id: ev.id,
    status: ev.status,
    displayName: ev.displayName,
    description: ev.description,
    startDateTime: ev.startDateTime,
    endDateTime: ev.endDateTime,
    audience: ev.audience,
    createdBy: { user: { id: ev.organizerUserId, tenantId: ev.tenantId } },
    // Returned for event organizers (virtualEventWebinar.externalEventInformation).
    externalEventInformation: ev.externalEventInformation,
  };
}

/** virtualEventExternalInformation on create: externalEventId optional, at most 256 characters. */
function externalInformation(ctx: GraphCtx): SimEvent["externalEventInformation"] {
  const raw = ctx.body.externalEventInformation;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new GraphError(400, "BadRequest", "externalEventInformation must be a collection.");
  return raw.map((item) => {
    const id = (item as { externalEventId?: unknown } | null)?.externalEventId;
    if (typeof id !== "string" || id.length > 256) {
      throw new GraphError(400, "BadRequest", "externalEventId must be a string of at most 256 characters.");
    }
    return { applicationId: ctx.grant.clientId, externalEventId: id };
  });
}

/**
 * virtualEventSession. `videoOnDemandWebUrl` (the event's published recording, "video on
 * demand") appears once the session has run: it has an attendance report.
 */
export function renderSession(s: SimEvent["sessions"][number]) {
  return {
    id: s.id,
    joinWebUrl: s.joinWebUrl,
    startDateTime: s.startDateTime,
    endDateTime: s.endDateTime,
    videoOnDemandWebUrl:
      s.reports.length > 0
        ? `https://events.teams.microsoft.com/event/${encodeURIComponent(s.id)}/vod`
        : null,
  };
}

function create(ctx: GraphCtx, collection: SimEvent["collection"]) {
  const tenant = ctx.state.tenants.get(ctx.grant.tenantId);
  if (!tenant) throw new GraphError(401, "InvalidAuthenticationToken", "Unknown tenant.");
  const displayName = requireString(ctx.body, "displayName");
  const start = dateTime(ctx.body, "startDateTime");
  const end = dateTime(ctx.body, "endDateTime");
  if (Date.parse(end.dateTime) <= Date.parse(start.dateTime)) {
    throw new GraphError(400, "BadRequest", "endDateTime must be after startDateTime.");
  }
  const desc = ctx.body.description as { contentType?: string; content?: string } | undefined;
  const ev: SimEvent = {
    id: ctx.state.newEventId(tenant.tenantId),
    tenantId: ctx.grant.tenantId,
    collection,
    status: "draft",
    displayName,
    description: { contentType: desc?.contentType ?? "text", content: desc?.content ?? "" },
    startDateTime: start,
    endDateTime: end,
    audience: typeof ctx.body.audience === "string" ? ctx.body.audience : "organization",
    organizerUserId: tenant.organizerUserId,
    externalEventInformation: externalInformation(ctx),
    // A Teams webinar is one session (one online meeting) created with it.
    sessions: [
      {
        id: `${randomUUID()}@${tenant.tenantId}`,
        joinWebUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${randomBytes(12).toString("hex")}%40thread.v2/0`,
        startDateTime: start,
        endDateTime: end,
        reports: [],
      },
    ],
    registrations: [],
    createdCount: new Map(),
  };
  ctx.state.events.set(ev.id, ev);
  return { status: 201, body: render(ev) };
}

export function eventRoutes(app: FastifyInstance, state: TeamsSimState): void {
  for (const c of COLLECTIONS) {
    const base = `/solutions/virtualEvents/${c}`;
    graphRoute(app, state, "POST", base, (ctx) => create(ctx, c));
    graphRoute(app, state, "GET", `${base}/:id`, (ctx) => {
      const id = ctx.params.id ?? "";
      // getByUserIdAndRole(userId='…',role='organizer') — the organizer's events, as a listing.
      const byUser = /^getByUserIdAndRole\(userId='([^']*)',role='(organizer|coOrganizer)'\)$/.exec(id);
      if (byUser) {
        const mine = [...state.events.values()].filter(
          (e) => e.tenantId === ctx.grant.tenantId && e.collection === c && e.organizerUserId === byUser[1],
        );
        return page(ctx, mine.map(render), `${base}/${id}`);
      }
      return { status: 200, body: render(state.event(ctx.grant.tenantId, c, id)) };
    });
    graphRoute(app, state, "PATCH", `${base}/:id`, (ctx) => {
      const ev = state.event(ctx.grant.tenantId, c, ctx.params.id ?? "");
      if (ev.status === "canceled")
        throw new GraphError(400, "BadRequest", "A canceled event cannot be updated.");
      if (ctx.body.displayName !== undefined) ev.displayName = requireString(ctx.body, "displayName");
      if (ctx.body.startDateTime !== undefined) ev.startDateTime = dateTime(ctx.body, "startDateTime");
      if (ctx.body.endDateTime !== undefined) ev.endDateTime = dateTime(ctx.body, "endDateTime");
      const desc = ctx.body.description as { contentType?: string; content?: string } | undefined;
      if (desc) ev.description = { contentType: desc.contentType ?? "text", content: desc.content ?? "" };
      return { status: 204 };
    });
    graphRoute(app, state, "POST", `${base}/:id/publish`, (ctx) => {
      const ev = state.event(ctx.grant.tenantId, c, ctx.params.id ?? "");
      if (ev.status !== "draft")
        throw new GraphError(400, "BadRequest", `An event in status '${ev.status}' cannot be published.`);
      ev.status = "published";
      return { status: 204 };
    });
    graphRoute(app, state, "POST", `${base}/:id/cancel`, (ctx) => {
      const ev = state.event(ctx.grant.tenantId, c, ctx.params.id ?? "");
      if (ev.status === "canceled") throw new GraphError(400, "BadRequest", "The event is already canceled.");
      ev.status = "canceled";
      return { status: 204 };
    });
    graphRoute(app, state, "GET", `${base}/:id/sessions`, (ctx) => {
      const ev = state.event(ctx.grant.tenantId, c, ctx.params.id ?? "");
      return page(ctx, ev.sessions.map(renderSession), `${base}/${ev.id}/sessions`);
    });
  }
}
