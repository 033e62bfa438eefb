// "Runs" a webinar: one past session in which the given people attended for the given minutes,
// split into join/leave intervals the way GoTo reports a viewer who dropped out and came back.
import { badRequest, notFound } from "./errors.ts";
import type { GotoSimState } from "./state.ts";
import type { SimAttendee, SimInterval, SimRegistrantRecord, SimSession } from "./types.ts";

export interface RunAttendee {
  email: string;
  minutes: number;
  firstName?: string;
  lastName?: string;
}

const MIN = 60_000;
/** Gap between a viewer's two intervals. */
const GAP_MS = 3 * MIN;

function intervalsFor(start: number, seconds: number): SimInterval[] {
  const ms = seconds * 1000;
  // Two intervals from two minutes on, so a client has to sum them.
  if (ms < 2 * MIN) return [{ joinTime: start, leaveTime: start + ms }];
  const first = Math.floor(ms / 2 / 1000) * 1000;
  return [
    { joinTime: start, leaveTime: start + first },
    { joinTime: start + first + GAP_MS, leaveTime: start + ms + GAP_MS },
  ];
}

export function runWebinar(state: GotoSimState, webinarKey: bigint, attendees: RunAttendee[]) {
  const w = state.webinars.get(webinarKey);
  if (!w || w.deleted) throw notFound("Webinar not found");
  const longest = Math.max(1, ...attendees.map((a) => a.minutes));
  const end = state.now();
  const start = end - longest * MIN - GAP_MS - MIN;
  const seen = new Set<string>();
  const rows: SimAttendee[] = [];
  for (const a of attendees) {
    const email = a.email.trim();
    if (!email.includes("@")) throw badRequest("attendees[].email must be an email address");
    if (!(a.minutes >= 0)) throw badRequest("attendees[].minutes must be >= 0");
    if (seen.has(email.toLowerCase())) throw badRequest(`attendee listed twice`);
    seen.add(email.toLowerCase());
    let r = state.registrantsOf(webinarKey).find((x) => x.email.toLowerCase() === email.toLowerCase());
    if (!r) {
      // GoTo attendees are always registrants: someone who registered on GoTo's own page.
      const registrantKey = state.newKey();
      r = {
        registrantKey,
        webinarKey,
        email,
        firstName: a.firstName ?? "Walk",
        lastName: a.lastName ?? "In",
        responses: [],
        fields: { source: "GoTo registration page" },
        registrationDate: new Date(start).toISOString(),
        joinUrl: `https://global.gotowebinar.com/join/${webinarKey}/${registrantKey}`,
        status: "APPROVED",
        deleted: false,
      } satisfies SimRegistrantRecord;
      state.registrants.set(registrantKey, r);
    }
    const seconds = Math.round(a.minutes * 60);
    if (seconds > 0)
      rows.push({ registrantKey: r.registrantKey, intervals: intervalsFor(start + MIN, seconds) });
  }
  const session: SimSession = {
    sessionKey: state.newKey(),
    webinarKey,
    startTime: start,
    endTime: end,
    attendees: rows,
  };
  const list = state.sessions.get(webinarKey) ?? [];
  list.push(session);
  state.sessions.set(webinarKey, list);
  return { sessionKey: session.sessionKey, seconds: secondsPerEmail(state, webinarKey) };
}

/** Attendance seconds per email (as registered) over every session of the webinar. */
export function secondsPerEmail(state: GotoSimState, webinarKey: bigint): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of state.sessions.get(webinarKey) ?? []) {
    for (const a of s.attendees) {
      const email = state.registrants.get(a.registrantKey)?.email ?? "";
      const secs = a.intervals.reduce((sum, i) => sum + Math.round((i.leaveTime - i.joinTime) / 1000), 0);
      out[email] = (out[email] ?? 0) + secs;
    }
  }
  return out;
}
