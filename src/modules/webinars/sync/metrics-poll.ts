import { sql, type Transaction } from "kysely";
import type { Db } from "../../../db/database.ts";
import type { Database } from "../../../db/schema.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import { uuidv7 } from "../../../lib/ids.ts";
import type { AttendancePage, AttendanceRecord } from "../../../providers/contract.ts";
import type { ContactService } from "../../contacts/contacts.service.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";
import { createPeopleMatcher, type WebinarRef } from "./people.ts";
import {
  attendanceTotals,
  DEFAULT_POLL_PLAN,
  nextPollInSeconds,
  nextTailPollInSeconds,
  type PollPlan,
} from "./poll-schedule.ts";
import type { ProviderCaller } from "./provider-call.ts";
import { fetchRecording } from "./recording-fetch.ts";
import {
  type ChangedAttendance,
  emitAttendanceUpdated,
  markEndedOnce,
  NO_WEBHOOKS,
} from "./webhook-events.ts";

type Trx = Transaction<Database>;

/**
 * Records written per transaction. ON24 answers a webinar's whole attendee list as one page
 * (100,000 records at the top of its range): one transaction for all of it would hold its
 * row locks and trigger work for minutes and repeat all of it after a crash. 2,000 keeps
 * each transaction to well under a second while the per-statement overhead stays negligible.
 */
export const INGEST_CHUNK = 2000;

export { DEFAULT_POLL_PLAN, nextPollInSeconds, type PollPlan } from "./poll-schedule.ts";

/**
 * Pulls attendance for one webinar, page by page, and stores it per registration. People
 * the provider knows but we do not (registered directly at the provider, or walk-ins) are
 * matched to contacts by the organization's rule and added as registrations with source
 * "provider". Each chunk of a page (at most INGEST_CHUNK records) is one transaction, so a
 * crash repeats at most one chunk, and the upserts make a repeat harmless.
 */
export function createMetricsPollHandler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  contacts: Pick<ContactService, "matchOrCreate" | "matchingRule">;
  plan?: Partial<PollPlan>;
  /** The time the schedule is decided by (tests control it). */
  now?: () => Date;
  /** Outgoing webhooks: attendance.updated per changed registration, webinar.ended once. */
  emitWebhookEvent?: EmitWebhookEvent;
}) {
  const { db, queue, call } = deps;
  const clock = deps.now ?? (() => new Date());
  const emit = deps.emitWebhookEvent ?? NO_WEBHOOKS;
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

  /** One chunk of a page, in one transaction: a handful of statements whatever its size. */
  async function ingest(trx: Trx, webinar: WebinarForPoll, records: AttendanceRecord[]) {
    if (records.length === 0) return;
    const registrationIds = await people.matchOrAdd(trx, webinar, records);
    const changed = await writeAttendance(
      trx,
      webinar,
      planAttendanceWrites(records, registrationIds, new Date()),
    );
    await emitAttendanceUpdated(trx, emit, webinar, changed);
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
      const { records } = outcome.value;
      for (let i = 0; i < records.length; i += INGEST_CHUNK) {
        const chunk = records.slice(i, i + INGEST_CHUNK);
        await db.transaction().execute((trx) => ingest(trx, webinar, chunk));
      }
      cursor = outcome.value.nextCursor;
    } while (cursor !== null);
    const now = clock();
    // Before the freshness moves on, so a fresh poll includes the recording it asked for.
    await fetchRecording(db, call, { ...webinar, provider_webinar_id: providerKey }, now);
    // After the first week the schedule follows the numbers: compare this poll's totals with
    // the last poll's (kept on every poll, so the first slow poll has something to compare to).
    const totals = await attendanceTotals(db, webinarId);
    let next = nextPollInSeconds(plan, webinar.starts_at, webinar.ends_at, now);
    let tail: number | null = null;
    if (next === null && !early) {
      tail = nextTailPollInSeconds(plan, webinar.ends_at, now, {
        changed: totals !== webinar.attendance_totals,
        seconds: webinar.tail_poll_seconds,
      });
      next = tail;
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("webinars")
        .set({
          last_metrics_at: now,
          // An early poll (a webhook) leaves the regular chain's comparison alone.
          ...(!early && {
            attendance_totals: totals,
            tail_poll_seconds: tail === null ? null : Math.round(tail),
          }),
        })
        .where("id", "=", webinarId)
        .execute();
      await markEndedOnce(trx, emit, webinarId, webinar.ends_at);
    });
    await db
      .updateTable("webinar_configurations")
      .set({ last_metrics_at: now })
      .where("id", "=", webinar.configuration_id)
      .execute();
    await schedule(webinarId, next, early);
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

/** What one chunk writes per table, one entry per registration (see planAttendanceWrites). */
export interface AttendanceWrites {
  now: Date;
  syncs: { registrationId: string; providerRegistrantId: string }[];
  attendance: { registrationId: string; record: AttendanceRecord }[];
  checkIns: { registrationId: string; minutes: number; at: Date }[];
}

/**
 * The rows a chunk's records come to, as if each record were written in order with one upsert
 * per table: a set-based statement may touch each key only once (ON CONFLICT DO UPDATE refuses
 * a second), so records of the same registration are folded here the way sequential upserts
 * would leave them. The sync row is the first record's (insert, then "do nothing"); attendance
 * is the last record's (each upsert overwrites); the check-in takes its time from the first
 * record with minutes (it is set on insert only) and its minutes from the last one ("set").
 * Records nobody matched are skipped.
 */
export function planAttendanceWrites(
  records: AttendanceRecord[],
  registrationIds: (string | undefined)[],
  now: Date,
): AttendanceWrites {
  const syncs = new Map<string, AttendanceWrites["syncs"][number]>();
  const attendance = new Map<string, AttendanceWrites["attendance"][number]>();
  const checkIns = new Map<string, AttendanceWrites["checkIns"][number]>();
  for (const [i, record] of records.entries()) {
    const registrationId = registrationIds[i];
    if (!registrationId) continue;
    if (!syncs.has(registrationId))
      syncs.set(registrationId, { registrationId, providerRegistrantId: record.providerRegistrantId });
    attendance.set(registrationId, { registrationId, record });
    const minutes = record.liveMinutes + record.onDemandMinutes;
    if (minutes > 0) {
      const earlier = checkIns.get(registrationId);
      checkIns.set(registrationId, {
        registrationId,
        minutes,
        at: earlier?.at ?? record.firstActivityAt ?? now,
      });
    }
  }
  return {
    now,
    syncs: [...syncs.values()],
    attendance: [...attendance.values()],
    checkIns: [...checkIns.values()],
  };
}

/**
 * One statement per table for the whole chunk, each row's values sent as parallel arrays
 * (one parameter per column, whatever the number of rows) and unpacked by unnest. The
 * attendance trigger (registrations.attended_minutes) is a row trigger and still fires once
 * per row written, at the end of the statement.
 */
async function writeAttendance(
  trx: Trx,
  webinar: WebinarForPoll,
  w: AttendanceWrites,
): Promise<ChangedAttendance[]> {
  let changed: ChangedAttendance[] = [];
  if (w.syncs.length > 0)
    await sql`
      INSERT INTO registration_syncs (registration_id, webinar_id, organization_id, configuration_id,
        state, provider_registrant_id, synced_at, updated_at)
      SELECT t.registration_id, ${webinar.id}::uuid, ${webinar.organization_id}::uuid, ${webinar.configuration_id}::uuid,
        'synced', t.provider_registrant_id, ${w.now}::timestamptz, ${w.now}::timestamptz
      FROM unnest(${w.syncs.map((s) => s.registrationId)}::uuid[],
                  ${w.syncs.map((s) => s.providerRegistrantId)}::text[]) AS t(registration_id, provider_registrant_id)
      ON CONFLICT (registration_id, webinar_id) DO NOTHING`.execute(trx);
  if (w.attendance.length > 0) {
    const column = <T>(pick: (r: AttendanceRecord) => T) => w.attendance.map((a) => pick(a.record));
    const ids = w.attendance.map((a) => a.registrationId);
    // The rows as they were, read in the same statement (a CTE sees the state before the
    // upsert), so only a real change of the numbers becomes an attendance.updated message.
    const result = await sql<ChangedAttendance>`
      WITH before AS (
        SELECT registration_id, live_minutes, on_demand_minutes, engagement_score, questions_asked, polls_answered
        FROM attendance WHERE webinar_id = ${webinar.id}::uuid AND registration_id = ANY(${ids}::uuid[])
      ), written AS (
      INSERT INTO attendance (registration_id, webinar_id, organization_id, live_minutes, on_demand_minutes,
        engagement_score, questions_asked, polls_answered, resources_downloaded,
        first_activity_at, last_activity_at, updated_at)
      SELECT t.registration_id, ${webinar.id}::uuid, ${webinar.organization_id}::uuid, t.live_minutes, t.on_demand_minutes,
        t.engagement_score, t.questions_asked, t.polls_answered, t.resources_downloaded,
        t.first_activity_at, t.last_activity_at, ${w.now}::timestamptz
      FROM unnest(${w.attendance.map((a) => a.registrationId)}::uuid[],
                  ${column((r) => r.liveMinutes)}::int[],
                  ${column((r) => r.onDemandMinutes)}::int[],
                  ${column((r) => r.engagementScore)}::float8[],
                  ${column((r) => r.questionsAsked)}::int[],
                  ${column((r) => r.pollsAnswered)}::int[],
                  ${column((r) => r.resourcesDownloaded)}::int[],
                  ${column((r) => r.firstActivityAt)}::timestamptz[],
                  ${column((r) => r.lastActivityAt)}::timestamptz[])
        AS t(registration_id, live_minutes, on_demand_minutes, engagement_score, questions_asked,
             polls_answered, resources_downloaded, first_activity_at, last_activity_at)
      ON CONFLICT (registration_id, webinar_id) DO UPDATE SET
        live_minutes = excluded.live_minutes,
        on_demand_minutes = excluded.on_demand_minutes,
        engagement_score = excluded.engagement_score,
        questions_asked = excluded.questions_asked,
        polls_answered = excluded.polls_answered,
        resources_downloaded = excluded.resources_downloaded,
        first_activity_at = excluded.first_activity_at,
        last_activity_at = excluded.last_activity_at,
        updated_at = excluded.updated_at
      RETURNING registration_id, live_minutes, on_demand_minutes, engagement_score, questions_asked,
        polls_answered, first_activity_at, last_activity_at)
      SELECT w.registration_id AS "registrationId", w.live_minutes AS "liveMinutes",
        w.on_demand_minutes AS "onDemandMinutes", w.engagement_score AS "engagementScore",
        w.questions_asked AS "questionsAsked", w.polls_answered AS "pollsAnswered",
        w.first_activity_at AS "firstActivityAt", w.last_activity_at AS "lastActivityAt"
      FROM written w LEFT JOIN before b ON b.registration_id = w.registration_id
      WHERE b.registration_id IS NULL
        OR (b.live_minutes, b.on_demand_minutes, b.engagement_score, b.questions_asked, b.polls_answered)
          IS DISTINCT FROM (w.live_minutes, w.on_demand_minutes, w.engagement_score, w.questions_asked, w.polls_answered)
      ORDER BY w.registration_id`.execute(trx);
    changed = result.rows;
  }
  // The poll is the source of truth for viewing minutes: "set", as recordWebinarCheckIn(…, "set").
  if (w.checkIns.length > 0)
    await sql`
      INSERT INTO check_ins (id, organization_id, event_id, session_id, registration_id, kind, webinar_id,
        viewing_minutes, checked_in_at)
      SELECT t.id, ${webinar.organization_id}::uuid, ${webinar.event_id}::uuid, ${webinar.session_id}::uuid,
        t.registration_id, 'webinar', ${webinar.id}::uuid, t.viewing_minutes, t.checked_in_at
      FROM unnest(${w.checkIns.map(() => uuidv7())}::uuid[],
                  ${w.checkIns.map((c) => c.registrationId)}::uuid[],
                  ${w.checkIns.map((c) => c.minutes)}::int[],
                  ${w.checkIns.map((c) => c.at)}::timestamptz[])
        AS t(id, registration_id, viewing_minutes, checked_in_at)
      ON CONFLICT (registration_id, webinar_id) WHERE webinar_id IS NOT NULL
      DO UPDATE SET viewing_minutes = excluded.viewing_minutes`.execute(trx);
  return changed;
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
  recording_url: string | null;
  recording_fetched_at: Date | null;
  attendance_totals: string | null;
  tail_poll_seconds: number | null;
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
      "w.recording_url",
      "w.recording_fetched_at",
      "w.attendance_totals",
      "w.tail_poll_seconds",
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
