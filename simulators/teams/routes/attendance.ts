// Attendance: sessions → attendanceReports → attendanceRecords (api/meetingattendancereport-list.md,
// api/attendancerecord-list.md), for webinars and town halls; and running a session, which
// produces one report and notifies `…/getAttendanceReports` subscribers.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { GraphError, graphRoute, page } from "../http.ts";
import type { TeamsSimState } from "../state.ts";
import type { SimEvent, SimRecord, SimReport } from "../types.ts";

function session(ev: SimEvent, id: string) {
  const s = ev.sessions.find((x) => x.id === id);
  if (!s) throw new GraphError(404, "NotFound", "The session was not found.");
  return s;
}

function report(s: SimEvent["sessions"][number], id: string): SimReport {
  const r = s.reports.find((x) => x.id === id);
  if (!r) throw new GraphError(404, "NotFound", "The attendance report was not found.");
  return r;
}

export interface RunAttendee {
  email: string;
  minutes: number;
  /** Split the viewing into this many join/leave intervals (default 2 when minutes ≥ 2). */
  intervals?: number;
}

/**
 * Ends a meeting of the event's first session with these attendees: one report, one record per
 * person with intervals summing to the whole seconds. People registered get their registrationId.
 */
export function runSession(state: TeamsSimState, ev: SimEvent, attendees: RunAttendee[]): SimReport {
  const s = ev.sessions[0];
  if (!s) throw new GraphError(400, "BadRequest", "The event has no session.");
  const start = Date.now() - 3 * 3600_000;
  // Someone who never joined has no attendance record.
  const records: SimRecord[] = attendees
    .filter((a) => a.minutes > 0)
    .map((a) => {
      const total = Math.round(a.minutes * 60);
      const parts = Math.max(1, Math.min(a.intervals ?? (total >= 120 ? 2 : 1), Math.max(1, total)));
      const intervals: SimRecord["attendanceIntervals"] = [];
      let at = start;
      let left = total;
      for (let i = 0; i < parts; i++) {
        const d = i === parts - 1 ? left : Math.floor(total / parts);
        left -= d;
        intervals.push({
          joinDateTime: new Date(at).toISOString(),
          leaveDateTime: new Date(at + d * 1000).toISOString(),
          durationInSeconds: d,
        });
        at += d * 1000 + 60_000; // a minute away between intervals
      }
      const reg = ev.registrations.find(
        (r) => r.email.toLowerCase() === a.email.toLowerCase() && r.status === "registered",
      );
      return {
        id: randomUUID(),
        emailAddress: a.email,
        registrationId: reg?.id ?? null,
        role: "Attendee",
        totalAttendanceInSeconds: total,
        attendanceIntervals: intervals,
        identity: {
          id: randomUUID(),
          displayName: reg ? `${reg.firstName} ${reg.lastName}` : (a.email.split("@")[0] ?? ""),
        },
      };
    });
  const r: SimReport = {
    id: randomUUID(),
    totalParticipantCount: records.length,
    meetingStartDateTime: new Date(start).toISOString(),
    meetingEndDateTime: new Date(at(records, start)).toISOString(),
    records,
  };
  s.reports.push(r);
  const base = `solutions/virtualEvents/${ev.collection}/${ev.id}`;
  state.notify(ev.tenantId, `${base}/getAttendanceReports`, "created", {
    type: "#microsoft.graph.meetingAttendanceReport",
    id: `${base}/sessions/${s.id}/attendanceReports/${r.id}`,
  });
  return r;
}

function at(records: SimRecord[], start: number): number {
  let end = start;
  for (const r of records)
    for (const i of r.attendanceIntervals) end = Math.max(end, Date.parse(i.leaveDateTime));
  return end;
}

export function attendanceRoutes(app: FastifyInstance, state: TeamsSimState): void {
  for (const c of ["webinars", "townhalls"] as const) {
    const base = `/solutions/virtualEvents/${c}/:id/sessions/:sid/attendanceReports`;
    graphRoute(app, state, "GET", base, (ctx) => {
      const ev = state.event(ctx.grant.tenantId, c, ctx.params.id ?? "");
      const s = session(ev, ctx.params.sid ?? "");
      const value = s.reports.map(({ records: _omit, ...r }) => r);
      return page(ctx, value, `/solutions/virtualEvents/${c}/${ev.id}/sessions/${s.id}/attendanceReports`);
    });
    graphRoute(app, state, "GET", `${base}/:rid/attendanceRecords`, (ctx) => {
      const ev = state.event(ctx.grant.tenantId, c, ctx.params.id ?? "");
      const s = session(ev, ctx.params.sid ?? "");
      const r = report(s, ctx.params.rid ?? "");
      return page(
        ctx,
        r.records,
        `/solutions/virtualEvents/${c}/${ev.id}/sessions/${s.id}/attendanceReports/${r.id}/attendanceRecords`,
      );
    });
  }
}
