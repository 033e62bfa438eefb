// Event-level attendance: attendee list and viewing sessions. Both are empty until the run is
// published (publicationLagMs after it ended), mirroring ON24's 30 min – 12 h data lag.
import { jsonList, type RouteCtx, type RouteDef, yesNo } from "../http.ts";
import { API_DIALECT, On24Error } from "../messages.ts";
import { renderAttendee, renderSession } from "../render-attendance.ts";
import type { Attendance, SimRegistrant } from "../types.ts";
import { requireEvent } from "./events.ts";
import { page, statusFilter } from "./registrants.ts";

function published(ctx: RouteCtx): { evId: number; rows: [SimRegistrant, Attendance][] } {
  const ev = requireEvent(ctx);
  if (!ev.run || !ctx.state.isPublished(ev)) return { evId: ev.eventId, rows: [] };
  const rows: [SimRegistrant, Attendance][] = [];
  for (const a of ev.run.attendance.values()) {
    const r = ctx.state.registrants.get(a.eventuserid);
    if (r) rows.push([r, a]);
  }
  rows.sort((x, y) => x[0].eventuserid - y[0].eventuserid);
  return { evId: ev.eventId, rows };
}

export const attendeeRoutes: RouteDef[] = [
  {
    // No paging parameters are documented for the event-level attendee list.
    method: "GET",
    path: "/client/{clientId}/event/{eventId}/attendee",
    operationId: "AnalyticsEventLevel.Attendees",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const { evId, rows } = published(ctx);
      const status = statusFilter(ctx.query.userstatus);
      const { partnerref } = ctx.query;
      yesNo(ctx.query.excludeanonymous, false, "Bad request");
      const list = rows.filter(
        ([r]) => status(r) && (partnerref === undefined || r.fields.partnerref === partnerref),
      );
      return {
        body: jsonList({ eventid: evId, totalattendees: list.length }, "attendees", list, ([r, a]) =>
          renderAttendee(r, a),
        ),
      };
    },
  },
  {
    method: "GET",
    path: "/client/{clientId}/event/{eventId}/attendeesession",
    operationId: "AnalyticsEventLevel.AttendeeViewingSessions",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const { rows } = published(ctx);
      const type = (ctx.query.sessiontype ?? "all").toLowerCase();
      if (!["all", "live", "ondemand", "blocked"].includes(type)) {
        throw new On24Error(400, "Bad request", "sessiontype must be all, live, ondemand or blocked");
      }
      const sessions = rows
        .filter(([r]) => (type === "blocked" ? r.blocked : true))
        .flatMap(([r, a]) => a.sessions.map((s) => [r, s] as const))
        .filter(([, s]) => type === "all" || type === "blocked" || (type === "live") === (s.usage === "Live"))
        .sort((x, y) => x[1].start - y[1].start || x[1].id - y[1].id);
      const p = page(sessions, ctx.query);
      return {
        body: {
          totalattendeesessions: sessions.length,
          pagecount: p.pagecount,
          currentpage: p.currentpage,
          attendeesession: p.items.map(([r, s]) => renderSession(r, s)),
        },
      };
    },
  },
];
