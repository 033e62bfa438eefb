// "Runs" a webinar: deterministic attendance for every active registrant plus a few walk-ins.
// Each person's behaviour comes from a PRNG seeded with (seed, email), so the outcome depends on
// the seed and the people, not on registration order or on other registrants.
import { On24Error } from "./messages.ts";
import { eventTimes } from "./render.ts";
import { intBetween, type Rng, rngFor } from "./rng.ts";
import type { SimState } from "./state.ts";
import { MINUTE } from "./time.ts";
import type { Attendance, SessionRow, SimEvent, SimRegistrant } from "./types.ts";

export interface RunOptions {
  seed?: string | number;
  /** Probability that a registrant attends at all (default 0.7). */
  attendanceRate?: number;
  /** Attendees who never registered; they become registrants once published (default 2). */
  walkIns?: number;
}

const POLLS = [
  { q: "How familiar are you with virtual event solutions?", a: ["Unfamiliar", "Somewhat", "Very"] },
  { q: "Which products are you interested in?", a: ["Webcasts", "Virtual Events", "Analytics"] },
  { q: "When do you plan to buy?", a: ["This quarter", "This year", "Not sure"] },
];
const QUESTIONS = [
  "Will the slides be shared afterwards?",
  "Is there a recording?",
  "How does this integrate with our CRM?",
  "What does it cost?",
];
const RESOURCES = ["Slide deck (PDF)", "Product datasheet", "Customer case study"];

function sessions(
  state: SimState,
  rng: Rng,
  eventuserid: number,
  usage: SessionRow["usage"],
  from: number,
  totalMs: number,
  windowMs: number,
): SessionRow[] {
  const count = Math.min(intBetween(rng, 1, 3), Math.max(1, Math.floor(totalMs / MINUTE)));
  const rows: SessionRow[] = [];
  let cursor = from + Math.floor(rng() * Math.max(0, windowMs - totalMs) * 0.5);
  let left = totalMs;
  for (let i = 0; i < count; i++) {
    const dur = i === count - 1 ? left : Math.floor(left / (count - i));
    rows.push({ id: state.nextId("session"), eventuserid, usage, start: cursor, end: cursor + dur });
    cursor += dur + intBetween(rng, 1, 5) * MINUTE; // a short gap: leave and rejoin
    left -= dur;
  }
  return rows;
}

function attend(
  state: SimState,
  ev: SimEvent,
  r: SimRegistrant,
  seed: string,
  rate: number,
  force: boolean,
): Attendance | null {
  const rng = rngFor(seed, (r.originalEmail || r.fields.email || "").toLowerCase());
  if (!force && rng() >= rate) return null;
  const t = eventTimes(ev);
  const durMs = ev.durationMin * MINUTE;
  const mode = rng(); // 55% live only, 25% on-demand only, 20% both
  const live = mode < 0.75;
  const archive = mode >= 0.55 && ev.archiveAvailable;
  // Occasionally under a minute, to exercise ON24's "0 < x < 1 is reported as 1" rule.
  const liveMs = live
    ? rng() < 0.1
      ? intBetween(rng, 10, 50) * 1000
      : Math.floor((0.2 + 0.8 * rng()) * durMs)
    : 0;
  const archMs = archive ? Math.floor((0.1 + 0.9 * rng()) * durMs) : 0;
  const rows = [
    ...(live ? sessions(state, rng, r.eventuserid, "Live", t.goodAfter, liveMs, durMs) : []),
    ...(archive
      ? sessions(
          state,
          rng,
          r.eventuserid,
          "Archived",
          t.archiveStart + intBetween(rng, 1, 48) * 60 * MINUTE,
          archMs,
          durMs,
        )
      : []),
  ];
  const at = (k: number) => t.goodAfter + Math.floor((k + rng()) * (durMs / 4));
  const questions = live
    ? Array.from({ length: intBetween(rng, 0, 2) }, (_, k) => ({
        questionid: state.nextId("item"),
        createtimestamp: at(k),
        content: QUESTIONS[intBetween(rng, 0, QUESTIONS.length - 1)] ?? "",
        answer: rng() < 0.6 ? "Yes, we will follow up by email." : null,
      }))
    : [];
  const polls = live
    ? POLLS.slice(0, intBetween(rng, 0, POLLS.length)).map((p, k) => ({
        pollid: ev.eventId * 10 + k,
        pollquestionid: ev.eventId * 10 + 5 + k,
        pollquestion: p.q,
        answer: p.a[intBetween(rng, 0, p.a.length - 1)] ?? "",
        at: at(k),
      }))
    : [];
  const resources = RESOURCES.slice(0, intBetween(rng, 0, RESOURCES.length)).map((name, k) => ({
    resourceid: ev.eventId * 100 + k,
    resourceviewed: name,
    at: at(k + 1),
  }));
  const share = (liveMs + archMs) / durMs;
  const score =
    1 + 5 * Math.min(1, share) + questions.length * 0.6 + polls.length * 0.4 + resources.length * 0.3;
  return {
    eventuserid: r.eventuserid,
    liveMinutesExact: liveMs / MINUTE,
    archiveMinutesExact: archMs / MINUTE,
    questions,
    polls,
    resources,
    engagementscore: Math.round(Math.min(10, score) * 10) / 10,
    sessions: rows,
  };
}

/** Runs (or re-runs) the event. The webinar "ends" now; data shows after publicationLagMs. */
export function runWebinar(state: SimState, eventId: number, opts: RunOptions) {
  const ev = state.events.get(eventId);
  if (!ev) throw new On24Error(404, `The event ${eventId} doesn't exist.`);
  if (ev.deleted) throw new On24Error(403, `The event ${eventId} is inactive.`);
  const seed = String(opts.seed ?? 1);
  const rate = opts.attendanceRate ?? 0.7;
  const now = state.now();
  // A re-run replaces the previous run, including its walk-ins.
  for (const [id, r] of state.registrants)
    if (r.eventId === eventId && r.walkIn) state.registrants.delete(id);
  const attendance = new Map<number, Attendance>();
  const people = [...state.registrants.values()]
    .filter((r) => r.eventId === eventId && r.status === "active" && !r.blocked)
    .sort((a, b) => a.eventuserid - b.eventuserid);
  for (const r of people) {
    const a = attend(state, ev, r, seed, rate, false);
    if (a) attendance.set(r.eventuserid, a);
  }
  const publishAt = now + state.knobs.publicationLagMs;
  for (let k = 1; k <= (opts.walkIns ?? 2); k++) {
    const email = `walkin${k}.${eventId}@example.com`;
    const walkIn: SimRegistrant = {
      eventuserid: state.nextId("eventuser"),
      eventId,
      clientId: ev.clientId,
      fields: { email, firstname: "Walk", lastname: `In ${k}`, marketingemail: "N", eventemail: "N" },
      createdAt: now,
      lastActivity: now,
      status: "active",
      blocked: false,
      walkIn: true,
      createCount: 0,
      originalEmail: email,
    };
    state.registrants.set(walkIn.eventuserid, walkIn);
    const a = attend(state, ev, walkIn, seed, 1, true);
    if (a) attendance.set(walkIn.eventuserid, a);
  }
  ev.run = { seed, endedAt: now, attendance };
  return {
    eventId,
    seed,
    endedAt: new Date(now).toISOString(),
    publishedAt: new Date(publishAt).toISOString(),
    registrants: people.length,
    attendees: attendance.size,
    walkIns: opts.walkIns ?? 2,
  };
}
