import { sql, type Transaction } from "kysely";
import type { Db } from "../../../db/database.ts";
import type { Database } from "../../../db/schema.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import { uuidv7 } from "../../../lib/ids.ts";
import type { AttendancePage, AttendanceRecord } from "../../../providers/contract.ts";
import type { ContactService } from "../../contacts/contacts.service.ts";
import { createPeopleMatcher, type WebinarRef } from "./people.ts";
import type { ProviderCaller } from "./provider-call.ts";

type Trx = Transaction<Database>;

/**
 * When to poll a webinar's attendance next. Frequent while live and through the provider's
 * publication lag (ON24: live data 30 min–2 h after the end), then every few minutes while
 * on-demand data arrives (4–12 h), then hourly through the on-demand window, then stop.
 */
export interface PollPlan {
  fastSeconds: number;
  lagHours: number;
  mediumSeconds: number;
  onDemandLagHours: number;
  slowSeconds: number;
  windowDays: number;
}

export const DEFAULT_POLL_PLAN: PollPlan = {
  fastSeconds: 30,
  lagHours: 2,
  mediumSeconds: 300,
  onDemandLagHours: 12,
  slowSeconds: 3600,
  windowDays: 7,
};

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
 * Pulls attendance for one webinar, page by page, and stores it per registration. People
 * the provider knows but we do not (registered directly at the provider, or walk-ins) are
 * matched to contacts by the organization's rule and added as registrations with source
 * "provider". Each page is one transaction, so a crash repeats at most one page, and the
 * upserts make a repeat harmless.
 */
export function createMetricsPollHandler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  contacts: Pick<ContactService, "matchOrCreate" | "matchingRule">;
  plan?: Partial<PollPlan>;
}) {
  const { db, queue, call } = deps;
  const plan = { ...DEFAULT_POLL_PLAN, ...deps.plan };
  const people = createPeopleMatcher({ contacts: deps.contacts });

  /** The next regular poll; an early poll (webhooks) leaves the schedule to the regular chain. */
  async function schedule(webinarId: string, seconds: number | null, early = false) {
    if (seconds === null || early) return;
    await queue.send(
      db,
      "metrics.poll",
      { webinarId },
      { startAfterSeconds: seconds, singletonKey: `metrics:${webinarId}` },
    );
  }

  async function ingest(trx: Trx, webinar: WebinarForPoll, records: AttendanceRecord[]) {
    if (records.length === 0) return;
    const registrationIds = await people.matchOrAdd(trx, webinar, records);
    const now = new Date();
    for (const [i, record] of records.entries()) {
      const registrationId = registrationIds[i];
      if (!registrationId) continue;
      await trx
        .insertInto("registration_syncs")
        .values({
          registration_id: registrationId,
          webinar_id: webinar.id,
          organization_id: webinar.organization_id,
          configuration_id: webinar.configuration_id,
          state: "synced",
          provider_registrant_id: record.providerRegistrantId,
          synced_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(["registration_id", "webinar_id"]).doNothing())
        .execute();
      const values = {
        live_minutes: record.liveMinutes,
        on_demand_minutes: record.onDemandMinutes,
        engagement_score: record.engagementScore,
        questions_asked: record.questionsAsked,
        polls_answered: record.pollsAnswered,
        resources_downloaded: record.resourcesDownloaded,
        first_activity_at: record.firstActivityAt,
        last_activity_at: record.lastActivityAt,
        updated_at: now,
      };
      await trx
        .insertInto("attendance")
        .values({
          registration_id: registrationId,
          webinar_id: webinar.id,
          organization_id: webinar.organization_id,
          ...values,
        })
        .onConflict((oc) => oc.columns(["registration_id", "webinar_id"]).doUpdateSet(values))
        .execute();
      const minutes = record.liveMinutes + record.onDemandMinutes;
      if (minutes > 0)
        await recordWebinarCheckIn(
          trx,
          webinar,
          registrationId,
          minutes,
          record.firstActivityAt ?? now,
          "set",
        );
    }
  }

  return async function handle({ webinarId, early }: { webinarId: string; early?: boolean }) {
    const webinar = await loadWebinar(db, webinarId);
    if (webinar?.desired !== "active") return;
    if (webinar.state !== "provisioned" || !webinar.provider_webinar_id) return;
    const providerKey = webinar.provider_webinar_id;
    let cursor: string | null = null;
    do {
      const outcome = await call<AttendancePage>(webinar.configuration_id, (provider, account) =>
        provider.listAttendance(account, providerKey, cursor),
      );
      if (outcome.kind === "deferred") return schedule(webinarId, outcome.afterSeconds, early);
      if (outcome.kind !== "ok")
        return schedule(webinarId, Math.max(plan.mediumSeconds, plan.fastSeconds), early);
      await db.transaction().execute((trx) => ingest(trx, webinar, outcome.value.records));
      cursor = outcome.value.nextCursor;
    } while (cursor !== null);
    const now = new Date();
    await db.updateTable("webinars").set({ last_metrics_at: now }).where("id", "=", webinarId).execute();
    await db
      .updateTable("webinar_configurations")
      .set({ last_metrics_at: now })
      .where("id", "=", webinar.configuration_id)
      .execute();
    await schedule(webinarId, nextPollInSeconds(plan, webinar.starts_at, webinar.ends_at, now), early);
  };
}

/**
 * The person's one check-in of kind "webinar" at this webinar with their viewing minutes:
 * "set" (the poll, the source of truth) or "raise" (live webhooks, which only ever add).
 */
export async function recordWebinarCheckIn(
  trx: Trx,
  webinar: WebinarRef,
  registrationId: string,
  minutes: number,
  at: Date,
  mode: "set" | "raise",
) {
  await trx
    .insertInto("check_ins")
    .values({
      id: uuidv7(),
      organization_id: webinar.organization_id,
      event_id: webinar.event_id,
      session_id: webinar.session_id,
      registration_id: registrationId,
      kind: "webinar",
      webinar_id: webinar.id,
      viewing_minutes: minutes,
      checked_in_at: at,
    })
    .onConflict((oc) =>
      oc
        .columns(["registration_id", "webinar_id"])
        .where("webinar_id", "is not", null)
        .doUpdateSet({
          viewing_minutes:
            mode === "set"
              ? minutes
              : sql<number>`greatest(coalesce(check_ins.viewing_minutes, 0), ${minutes})`,
        }),
    )
    .execute();
}

interface WebinarForPoll {
  id: string;
  organization_id: string;
  configuration_id: string;
  event_id: string;
  session_id: string | null;
  provider_webinar_id: string | null;
  state: string;
  desired: string;
  starts_at: Date;
  ends_at: Date;
}

export async function loadWebinar(db: Db | Trx, webinarId: string): Promise<WebinarForPoll | undefined> {
  const row = await db
    .selectFrom("webinars as w")
    .innerJoin("events as e", "e.id", "w.event_id")
    .leftJoin("event_sessions as s", "s.id", "w.session_id")
    .select([
      "w.id",
      "w.organization_id",
      "w.configuration_id",
      "w.event_id",
      "w.session_id",
      "w.provider_webinar_id",
      "w.state",
      "w.desired",
      "e.starts_at as event_starts_at",
      "e.ends_at as event_ends_at",
      "s.starts_at as session_starts_at",
      "s.ends_at as session_ends_at",
    ])
    .where("w.id", "=", webinarId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...row,
    starts_at: row.session_starts_at ?? row.event_starts_at,
    ends_at: row.session_ends_at ?? row.event_ends_at,
  };
}
