import { randomBytes } from "node:crypto";
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/database.ts";
import { type AuditService, type AuditWrite, SYSTEM_ACTOR } from "../audit/audit.service.ts";
import { hashEmail } from "./suppression.ts";

/** Retention periods in days; null keeps the data forever (the default). */
export interface RetentionSettings {
  /** Registrations of events that ended more than this many days ago (with their sessions, check-ins, syncs, attendance). */
  registrationsDays: number | null;
  /** Webinar attendance and check-ins of events that ended more than this many days ago. */
  attendanceDays: number | null;
  /** Audit entries older than this many days. */
  auditDays: number | null;
}

export interface SweepCounts {
  dryRun: boolean;
  registrations: number;
  attendance: number;
  checkIns: number;
  auditEntries: number;
  /** Transactions that deleted rows (or, in a dry run, would have). */
  batches: number;
}

export interface SweepOptions {
  dryRun?: boolean | undefined;
  /** Rows per transaction; default 500. */
  batchSize?: number | undefined;
  /** The clock, for tests; default now. */
  now?: Date | undefined;
}

export const DEFAULT_BATCH_SIZE = 500;
const DAY_MS = 86_400_000;

/**
 * Pending work a sweep never touches, for a registration `reg` of event `event` (SQL refs):
 * a registration sync still to be done or held, or one holding a lease (possibly mid-call
 * to the provider); or an import of the event not yet finished.
 */
const notPending = (reg: string, event: string): RawBuilder<boolean> => sql<boolean>`(
  NOT EXISTS (SELECT 1 FROM registration_syncs rs WHERE rs.registration_id = ${sql.ref(reg)}
    AND (rs.state IN ('pending', 'held') OR rs.lease_until > now()))
  AND NOT EXISTS (SELECT 1 FROM imports im WHERE im.event_id = ${sql.ref(event)}
    AND im.status IN ('pending', 'running')))`;

const toSettings = (row?: {
  retention_registrations_days: number | null;
  retention_attendance_days: number | null;
  retention_audit_days: number | null;
}): RetentionSettings => ({
  registrationsDays: row?.retention_registrations_days ?? null,
  attendanceDays: row?.retention_attendance_days ?? null,
  auditDays: row?.retention_audit_days ?? null,
});

/**
 * Retention (issue 7, item 3): each organization's periods, and the sweep that deletes what
 * has outlived them — in bounded batches, one transaction each, and never pending work.
 * The `retention.sweep` job (retention-sweep.ts) runs it for every organization hourly.
 */
export function createRetentionService(deps: { db: Db; audit: AuditService }) {
  const { db, audit } = deps;

  async function getSettings(organizationId: string): Promise<RetentionSettings> {
    const row = await db
      .selectFrom("privacy_settings")
      .select(["retention_registrations_days", "retention_attendance_days", "retention_audit_days"])
      .where("organization_id", "=", organizationId)
      .executeTakeFirst();
    return toSettings(row);
  }

  async function setSettings(organizationId: string, settings: RetentionSettings, audit?: AuditWrite) {
    const values = {
      retention_registrations_days: settings.registrationsDays,
      retention_attendance_days: settings.attendanceDays,
      retention_audit_days: settings.auditDays,
    };
    const row = await db.transaction().execute(async (trx) => {
      await audit?.(trx);
      return trx
        .insertInto("privacy_settings")
        .values({
          organization_id: organizationId,
          hash_salt: randomBytes(32).toString("base64"),
          updated_at: new Date(),
          ...values,
        })
        .onConflict((oc) => oc.column("organization_id").doUpdateSet({ ...values, updated_at: new Date() }))
        .returning(["retention_registrations_days", "retention_attendance_days", "retention_audit_days"])
        .executeTakeFirstOrThrow();
    });
    return toSettings(row);
  }

  /** Repeats `step` (one transaction, at most `batch` rows) until it handles fewer than `batch`. */
  async function inBatches(batch: number, step: () => Promise<number>) {
    let total = 0;
    let batches = 0;
    for (;;) {
      const n = await step();
      total += n;
      if (n > 0) batches++;
      if (n < batch) return { total, batches };
    }
  }

  async function sweepAttendance(organizationId: string, cutoff: string, batch: number, dryRun: boolean) {
    const attendanceRows = sql`SELECT a.registration_id, a.webinar_id FROM attendance a
      JOIN webinars w ON w.id = a.webinar_id JOIN events e ON e.id = w.event_id
      WHERE a.organization_id = ${organizationId} AND e.ends_at < ${cutoff}::timestamptz
        AND ${notPending("a.registration_id", "w.event_id")}`;
    const checkInRows = sql`SELECT c.id FROM check_ins c JOIN events e ON e.id = c.event_id
      WHERE c.organization_id = ${organizationId} AND e.ends_at < ${cutoff}::timestamptz
        AND ${notPending("c.registration_id", "c.event_id")}`;
    if (dryRun) {
      const a = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${attendanceRows}) x`.execute(db);
      const c = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${checkInRows}) x`.execute(db);
      const attendance = a.rows[0]?.n ?? 0;
      const checkIns = c.rows[0]?.n ?? 0;
      return { attendance, checkIns, batches: Math.ceil(attendance / batch) + Math.ceil(checkIns / batch) };
    }
    const attendance = await inBatches(batch, () =>
      db.transaction().execute(async (trx) => {
        const r = await sql`DELETE FROM attendance WHERE (registration_id, webinar_id) IN
          (SELECT * FROM (${attendanceRows} ORDER BY 1, 2 LIMIT ${batch}) x) RETURNING 1`.execute(trx);
        return r.rows.length;
      }),
    );
    const checkIns = await inBatches(batch, () =>
      db.transaction().execute(async (trx) => {
        const r = await sql`DELETE FROM check_ins WHERE id IN
          (SELECT * FROM (${checkInRows} ORDER BY 1 LIMIT ${batch}) x) RETURNING 1`.execute(trx);
        return r.rows.length;
      }),
    );
    return {
      attendance: attendance.total,
      checkIns: checkIns.total,
      batches: attendance.batches + checkIns.batches,
    };
  }

  /**
   * Registrations of events that ended before the cutoff, in id order (keyset), skipping
   * pending work — including people with a provider erasure still under way (matched by the
   * salted address hash the erasure keeps until the provider confirms). The delete re-checks
   * the SQL conditions, so work that became pending since the batch was read is left alone.
   * Deleting a registration cascades to its sessions, check-ins, syncs and attendance.
   */
  async function sweepRegistrations(organizationId: string, cutoff: string, batch: number, dryRun: boolean) {
    const settings = await db
      .selectFrom("privacy_settings")
      .select("hash_salt")
      .where("organization_id", "=", organizationId)
      .executeTakeFirst();
    const pendingHashes = new Set(
      (
        await db
          .selectFrom("provider_erasures")
          .select("pending_hash")
          .where("organization_id", "=", organizationId)
          .where("pending_hash", "is not", null)
          .where("state", "<>", "done")
          .execute()
      ).map((r) => r.pending_hash as string),
    );
    let after: string | null = null;
    let total = 0;
    let batches = 0;
    for (;;) {
      const cursor: string | null = after;
      const step: { read: number; last: string | null; deleted: number } = await db
        .transaction()
        .execute(async (trx) => {
          const rows = await trx
            .selectFrom("registrations as r")
            .innerJoin("events as e", "e.id", "r.event_id")
            .innerJoin("contacts as c", "c.id", "r.contact_id")
            .select(["r.id", "c.email_normalized"])
            .where("r.organization_id", "=", organizationId)
            .where(sql<boolean>`e.ends_at < ${cutoff}::timestamptz`)
            .where(notPending("r.id", "r.event_id"))
            .$if(cursor !== null, (q) => q.where("r.id", ">", cursor as string))
            .orderBy("r.id")
            .limit(batch)
            .execute();
          const ids = rows
            .filter(
              (r) =>
                !settings ||
                pendingHashes.size === 0 ||
                !pendingHashes.has(hashEmail(settings.hash_salt, r.email_normalized)),
            )
            .map((r) => r.id);
          let deleted = ids.length;
          if (!dryRun && ids.length) {
            const gone = await trx
              .deleteFrom("registrations")
              .where("id", "in", ids)
              .where(notPending("registrations.id", "registrations.event_id"))
              .returning("id")
              .execute();
            deleted = gone.length;
          }
          return { read: rows.length, last: rows.at(-1)?.id ?? null, deleted };
        });
      total += step.deleted;
      if (step.deleted > 0) batches++;
      if (step.read < batch || step.last === null) break;
      after = step.last;
    }
    return { registrations: total, batches };
  }

  async function sweepAudit(organizationId: string, cutoff: string, batch: number, dryRun: boolean) {
    const rows = sql`SELECT id FROM audit_log WHERE organization_id = ${organizationId}
      AND created_at < ${cutoff}::timestamptz`;
    if (dryRun) {
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${rows}) x`.execute(db);
      const n = r.rows[0]?.n ?? 0;
      return { auditEntries: n, batches: Math.ceil(n / batch) };
    }
    const result = await inBatches(batch, () =>
      db.transaction().execute(async (trx) => {
        // The audit log refuses DELETE unless this transaction says it is the retention sweep.
        await sql`SELECT set_config('auditorium.retention', 'on', true)`.execute(trx);
        const r = await sql`DELETE FROM audit_log WHERE id IN
          (SELECT * FROM (${rows} ORDER BY id LIMIT ${batch}) x) RETURNING 1`.execute(trx);
        return r.rows.length;
      }),
    );
    return { auditEntries: result.total, batches: result.batches };
  }

  async function sweep(
    organizationId: string,
    options: SweepOptions = {},
    audit?: AuditWrite,
  ): Promise<SweepCounts> {
    // A sweep is many transactions (bounded batches): its entry commits before the first one,
    // so no deletion happens without it (a crash mid-sweep leaves the entry and some batches).
    if (audit) await db.transaction().execute((trx) => audit(trx));
    const dryRun = options.dryRun ?? false;
    const batch = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
    const now = (options.now ?? new Date()).getTime();
    const cutoff = (days: number) => new Date(now - days * DAY_MS).toISOString();
    const settings = await getSettings(organizationId);
    const counts: SweepCounts = {
      dryRun,
      registrations: 0,
      attendance: 0,
      checkIns: 0,
      auditEntries: 0,
      batches: 0,
    };
    // Attendance first: deleting registrations would take their attendance with them uncounted.
    if (settings.attendanceDays !== null) {
      const r = await sweepAttendance(organizationId, cutoff(settings.attendanceDays), batch, dryRun);
      counts.attendance = r.attendance;
      counts.checkIns = r.checkIns;
      counts.batches += r.batches;
    }
    if (settings.registrationsDays !== null) {
      const r = await sweepRegistrations(organizationId, cutoff(settings.registrationsDays), batch, dryRun);
      counts.registrations = r.registrations;
      counts.batches += r.batches;
    }
    if (settings.auditDays !== null) {
      const r = await sweepAudit(organizationId, cutoff(settings.auditDays), batch, dryRun);
      counts.auditEntries = r.auditEntries;
      counts.batches += r.batches;
    }
    return counts;
  }

  return {
    getSettings,
    setSettings,
    sweep,

    /**
     * The scheduled sweep: every organization with a retention period set. Each organization
     * with rows due gets one system audit entry with the counts due (names and numbers only),
     * committed before the first deletion, as a manual sweep's is: a crash mid-sweep leaves the
     * entry, never deletions without one.
     */
    async sweepAll(options: Omit<SweepOptions, "dryRun"> = {}) {
      const orgs = await db
        .selectFrom("privacy_settings")
        .select("organization_id")
        .where((eb) =>
          eb.or([
            eb("retention_registrations_days", "is not", null),
            eb("retention_attendance_days", "is not", null),
            eb("retention_audit_days", "is not", null),
          ]),
        )
        .orderBy("organization_id")
        .execute();
      const results: (SweepCounts & { organizationId: string })[] = [];
      for (const { organization_id: organizationId } of orgs) {
        const due = await sweep(organizationId, { ...options, dryRun: true });
        if (due.registrations + due.attendance + due.checkIns + due.auditEntries === 0) continue;
        const counts = await sweep(organizationId, { ...options, dryRun: false }, (trx) =>
          audit
            .record(trx, {
              organizationId,
              actor: SYSTEM_ACTOR,
              action: "privacy.retention_swept",
              details: {
                registrations: due.registrations,
                attendance: due.attendance,
                checkIns: due.checkIns,
                auditEntries: due.auditEntries,
              },
            })
            .then(() => undefined),
        );
        results.push({ organizationId, ...counts });
      }
      return results;
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
