import { sql } from "kysely";
import type { Db } from "../../../db/database.ts";

/**
 * When to poll a webinar's attendance next. Frequent while live and through the provider's
 * publication lag (ON24: live data 30 min–2 h after the end), then every few minutes while
 * on-demand data arrives (4–12 h), then hourly through the first week (`windowDays`). After
 * that, on-demand viewing still comes in for weeks, so a slow "tail" schedule follows up to
 * `tailDays` after the end: every `tailSeconds` while the numbers change, doubling up to
 * `tailMaxSeconds` while they stay the same, and back to `tailSeconds` as soon as they move.
 */
export interface PollPlan {
  fastSeconds: number;
  lagHours: number;
  mediumSeconds: number;
  onDemandLagHours: number;
  slowSeconds: number;
  windowDays: number;
  /** The slow schedule's interval after a change (AUDITORIUM_ATTENDANCE_TAIL_HOURS). */
  tailSeconds: number;
  /** The longest interval the slow schedule backs off to while nothing changes. */
  tailMaxSeconds: number;
  /** Days after the end when polling stops for good (AUDITORIUM_ATTENDANCE_TAIL_DAYS). */
  tailDays: number;
}

const DAY_SECONDS = 24 * 3600;

export const DEFAULT_POLL_PLAN: PollPlan = {
  fastSeconds: 30,
  lagHours: 2,
  mediumSeconds: 300,
  onDemandLagHours: 12,
  slowSeconds: 3600,
  windowDays: 7,
  tailSeconds: DAY_SECONDS,
  tailMaxSeconds: 7 * DAY_SECONDS,
  tailDays: 90,
};

/** The first week's schedule; null once it is over (the tail schedule, below, takes over). */
export function nextPollInSeconds(
  plan: PollPlan,
  startsAt: Date,
  endsAt: Date,
  now = new Date(),
): number | null {
  const t = now.getTime();
  const h = 3600_000;
  if (t < startsAt.getTime()) return Math.max(1, (startsAt.getTime() - t) / 1000);
  if (t < endsAt.getTime() + plan.lagHours * h) return plan.fastSeconds;
  if (t < endsAt.getTime() + plan.onDemandLagHours * h) return plan.mediumSeconds;
  if (t < endsAt.getTime() + plan.windowDays * 24 * h) return plan.slowSeconds;
  return null;
}

/**
 * The slow schedule after the first week: `tailSeconds` when the numbers changed since the last
 * poll (or nothing was chosen yet), else double the last interval up to `tailMaxSeconds`; never
 * past the end of the tail, so the last poll falls on its last day. Null when the tail is over.
 */
export function nextTailPollInSeconds(
  plan: PollPlan,
  endsAt: Date,
  now: Date,
  last: { changed: boolean; seconds: number | null },
): number | null {
  const left = (endsAt.getTime() + plan.tailDays * DAY_SECONDS * 1000 - now.getTime()) / 1000;
  if (left <= 0) return null;
  const wanted =
    last.changed || last.seconds === null
      ? plan.tailSeconds
      : Math.min(plan.tailMaxSeconds, Math.max(plan.tailSeconds, last.seconds * 2));
  return Math.max(1, Math.min(wanted, left));
}

/**
 * What "the numbers" are: the webinar's attendance as stored after a poll, as counts and sums
 * (no person). Equal totals across two polls mean the provider reported nothing new.
 */
export async function attendanceTotals(db: Db, webinarId: string): Promise<string> {
  const row = await db
    .selectFrom("attendance")
    .select([
      sql<number>`count(*)::int`.as("people"),
      sql<number>`coalesce(sum(live_minutes), 0)::int`.as("live"),
      sql<number>`coalesce(sum(on_demand_minutes), 0)::int`.as("onDemand"),
      sql<number>`coalesce(sum(questions_asked + polls_answered + resources_downloaded), 0)::int`.as(
        "actions",
      ),
      sql<string | null>`max(last_activity_at)::text`.as("lastActivity"),
    ])
    .where("webinar_id", "=", webinarId)
    .executeTakeFirstOrThrow();
  return [row.people, row.live, row.onDemand, row.actions, row.lastActivity ?? "-"].join(":");
}
