// Running a webinar: each attendee gets one or more join segments (rejoins), the participants
// report is published (one row per segment, `duration` in seconds, as Zoom's report), and
// participant_joined / participant_left / webinar.ended webhooks go out.
import { randomBytes } from "node:crypto";
import { intBetween, rngFor } from "../on24/rng.ts";
import type { ZoomSimState } from "./state.ts";
import type { ReportRow, SimWebinar } from "./types.ts";

export interface Attendee {
  email: string;
  /** Total minutes attended; split over `segments` join segments. */
  minutes: number;
  segments?: number;
  name?: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Publishes the report for `attendees` (default: about 70 % of the approved registrants, chosen by a
 * seeded PRNG per email, 5–90 minutes in 1–3 segments). Returns minutes per email as recorded.
 */
export function runWebinar(
  state: ZoomSimState,
  w: SimWebinar,
  options: { attendees?: Attendee[]; seed?: string | number } = {},
): Map<string, number> {
  const seed = options.seed ?? 1;
  const attendees: Attendee[] =
    options.attendees ??
    w.registrants
      .filter((r) => !r.cancelled && r.status === "approved")
      .filter((r) => rngFor(seed, r.email, "attends")() < 0.7)
      .map((r) => {
        const rng = rngFor(seed, r.email);
        return { email: r.email, minutes: intBetween(rng, 5, 90), segments: intBetween(rng, 1, 3) };
      });
  const started = state.now() - 2 * 3600_000;
  const rows: ReportRow[] = [];
  const recorded = new Map<string, number>();
  for (const a of attendees) {
    const reg = w.registrants.find((r) => r.email.toLowerCase() === a.email.toLowerCase() && !r.cancelled);
    const seconds = Math.round(a.minutes * 60);
    const segments = Math.max(1, Math.min(a.segments ?? 2, Math.max(1, seconds)));
    const userId = String(16_000_000 + Math.floor(state.random() * 1_000_000));
    const rng = rngFor(seed, a.email, "segments");
    let at = started + intBetween(rng, 0, 300) * 1000;
    let left = seconds;
    for (let i = 0; i < segments; i++) {
      // Equal parts, the remainder in the last one, so the segments sum to exactly `seconds`.
      const part = i === segments - 1 ? left : Math.floor(seconds / segments);
      left -= part;
      rows.push({
        id: randomBytes(16).toString("base64url").slice(0, 22),
        user_id: userId,
        name: a.name ?? (reg ? `${reg.firstName} ${reg.lastName}`.trim() : (a.email.split("@")[0] ?? "")),
        user_email: a.email,
        registrant_id: reg?.id ?? "",
        join_time: iso(at),
        leave_time: iso(at + part * 1000),
        duration: part,
        status: "in_meeting",
        failover: false,
      });
      const object = (participant: Record<string, unknown>) => ({
        id: String(w.id),
        uuid: w.uuid,
        host_id: w.hostId,
        topic: w.topic,
        type: w.type,
        start_time: w.startTime,
        timezone: w.timezone,
        duration: w.duration,
        participant: {
          user_id: userId,
          user_name: rows[rows.length - 1]?.name,
          email: a.email,
          ...(reg && { registrant_id: reg.id }),
          ...participant,
        },
      });
      state.hooks.send("webinar.participant_joined", w.accountId, object({ id: userId, join_time: iso(at) }));
      state.hooks.send(
        "webinar.participant_left",
        w.accountId,
        object({ leave_time: iso(at + part * 1000), leave_reason: "left the webinar" }),
      );
      at += part * 1000 + intBetween(rng, 30, 600) * 1000;
    }
    recorded.set(a.email, (recorded.get(a.email) ?? 0) + seconds / 60);
  }
  w.report = rows;
  w.recording = {
    key: randomBytes(24).toString("base64url"),
    passcode: randomBytes(6).toString("base64url"),
    start: iso(started),
    end: iso(state.now()),
  };
  state.hooks.send("webinar.ended", w.accountId, {
    id: String(w.id),
    uuid: w.uuid,
    host_id: w.hostId,
    topic: w.topic,
    type: w.type,
    start_time: w.startTime,
    timezone: w.timezone,
    duration: w.duration,
    end_time: iso(state.now()),
  });
  return recorded;
}
