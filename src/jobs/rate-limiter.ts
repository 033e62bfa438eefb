import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import { createLatenessAllowance, LATENESS_DEFAULTS, type LatenessAllowance } from "./lateness-allowance.ts";

/**
 * The rate of the shared bucket for a configured rate R, leaving room for requests that reach
 * the provider up to `lateMs` after their slot. Providers count in windows (ON24 answers 403
 * once one is spent). Slots are reserved one interval (1 / rate) apart, so any interval of T
 * seconds holds at most rate × T + 1 of them. Requests sent up to L late put the slots of
 * 1 + L seconds into one window, so rate × (1 + L) is kept below R: the count in any
 * one-second window is then at most R, however the provider aligns its windows. There is no
 * burst: a caller holds a reserved slot and loses nothing by waking late, so a burst would
 * only have cost one request a second (the earlier R / 50 cost 1 % of R = 100). At 30 ms (the
 * room until a process has measured itself) R = 100 gives 97 /s; at 5 ms, 99.4 /s.
 */
export function bucketRate(perSecond: number, lateMs: number = LATENESS_DEFAULTS.initialMs): number {
  // × 0.999: strictly below R, so a window's count (a whole number) is at most R.
  return (perSecond / (1 + lateMs / 1000)) * 0.999;
}

/**
 * How late a caller may wake for its slot before it gives the slot up and takes a new one. The
 * bucket's room follows the lateness measured (see lateness-allowance.ts), so this only cuts
 * off the stragglers that would widen that room the most.
 */
const MAX_LATE_MS = 25;

/**
 * Where a family of buckets lives: provider accounts (keyed by their configuration) and
 * SMTP accounts (keyed by a digest of host, port and user) share the algorithm, not a table.
 */
const BUCKET_TABLES = {
  provider: { table: "provider_rate_buckets", key: "configuration_id" },
  email: { table: "email_rate_buckets", key: "account" },
} as const;

export function createProviderRateLimiter(deps: {
  db: Db;
  sleep?: (ms: number) => Promise<void>;
  lateness?: LatenessAllowance;
}) {
  return createSharedRateLimiter({ ...deps, buckets: "provider" });
}

/**
 * A token bucket per provider (or SMTP) account, kept in the database so that every worker process
 * draws from the same bucket: the aggregate request rate to one account never exceeds its
 * configured rate in any one-second interval, however many workers run.
 *
 * Callers reserve a slot rather than poll: one statement takes the next free slot even when it
 * is in the future, and the caller sleeps until it. Fifty callers polling one hot row with
 * retries cost the database more than the requests they paced; with reservations each
 * request costs one UPDATE, and concurrent callers get successive slots.
 */
export function createSharedRateLimiter(deps: {
  db: Db;
  buckets: keyof typeof BUCKET_TABLES;
  sleep?: (ms: number) => Promise<void>;
  /** Per process: the lateness is this process's timers and round trips. */
  lateness?: LatenessAllowance;
}) {
  const { db } = deps;
  const lateness = deps.lateness ?? createLatenessAllowance();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const table = sql.table(BUCKET_TABLES[deps.buckets].table);
  const key = sql.ref(BUCKET_TABLES[deps.buckets].key);

  /** The reserved slot on the database clock, or null when it would be further than `maxWaitMs` away. */
  async function reserve(bucketKey: string, perSecond: number, maxWaitMs: number) {
    const rate = bucketRate(perSecond, lateness.allowanceMs());
    // The bucket as the time of its next free slot (GCRA, the token bucket's equivalent in
    // time): each reservation moves it on by one interval from itself or from now, whichever
    // is later. A time means the same to every process, whatever rate each shapes for its own
    // lateness.
    const interval = 1 / rate;
    for (;;) {
      const { rows } = await sql<{ next_slot_at: Date; now: Date }>`
        UPDATE ${table}
        SET next_slot_at = greatest(next_slot_at, clock_timestamp()) + make_interval(secs => ${interval}::float8)
        WHERE ${key} = ${bucketKey}
          AND next_slot_at <= clock_timestamp() + make_interval(secs => ${maxWaitMs / 1000}::float8)
        RETURNING next_slot_at, clock_timestamp() AS now`.execute(db);
      const taken = rows[0];
      if (taken) {
        const now = new Date(taken.now).getTime();
        const slot = Math.max(now, new Date(taken.next_slot_at).getTime() - interval * 1000);
        return { slot: new Date(slot), waitMs: slot - now };
      }
      const created = await sql`
        INSERT INTO ${table} (${key}, next_slot_at) VALUES (${bucketKey}, clock_timestamp())
        ON CONFLICT DO NOTHING RETURNING ${key}`.execute(db);
      // The row existed, so its next free slot is further away than the wait allowed.
      if (created.rows.length === 0) return null;
    }
  }

  return {
    /**
     * Waits until one request to this account is allowed and returns when it was allowed (its
     * slot, on the database's clock); null when that would take longer than `maxWaitMs` (the
     * caller defers the job rather than hold its lease that long), and nothing is reserved.
     */
    async acquire(bucketKey: string, perSecond: number, maxWaitMs = 10_000): Promise<Date | null> {
      const deadline = Date.now() + maxWaitMs;
      for (let missed = 0; ; missed++) {
        const reserved = await reserve(bucketKey, perSecond, Math.max(0, deadline - Date.now()));
        if (!reserved) return null;
        const wake = Date.now() + reserved.waitMs;
        if (reserved.waitMs > 0) await sleep(reserved.waitMs);
        // A process starved of CPU, or waiting for PostgreSQL's answer, sends late, and its
        // late requests land in the provider's next window on top of that window's own. How
        // late is measured against the slot on the database's clock (less the window's
        // earliest, which holds the clocks' offset), so the time the reservation's answer took
        // counts, not only the timer's (which still counts alone before the window has a
        // sample to compare with). A slot missed by more than the bucket's room for
        // jitter is given up (its slot is spent) and a new one taken — twice at most, so a
        // process that is always late still makes progress.
        const sentLessSlot = Date.now() - reserved.slot.getTime();
        const late = Math.max(Date.now() - wake, lateness.lateBy(sentLessSlot));
        if (late <= MAX_LATE_MS || missed >= 2) {
          lateness.record(sentLessSlot);
          return reserved.slot;
        }
      }
    },

    /** The provider refused for quota: the room was too small, whatever the timers said. */
    quotaAnswered() {
      lateness.quotaAnswered();
    },

    /** The room the bucket leaves now (ms of lateness), for benchmarks and logs. */
    allowanceMs(): number {
      return lateness.allowanceMs();
    },
  };
}

export type SharedRateLimiter = ReturnType<typeof createSharedRateLimiter>;
export type ProviderRateLimiter = SharedRateLimiter;
