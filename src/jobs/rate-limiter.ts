import { sql } from "kysely";
import type { Db } from "../db/database.ts";

/**
 * The shape of the shared bucket for a configured rate R. Providers count in windows
 * (ON24 answers 403 once one is spent), and a token bucket lets at most `burst + rate`
 * requests into any one-second interval. So the two are chosen to add up to less than R + 1
 * with room to spare: the count in any one-second interval is then at most R, however the
 * provider aligns its windows, even when requests arrive up to about 30 ms from when they
 * were paced (the way to the provider, timers on a busy machine). A burst of a fiftieth of
 * a second keeps callers that wake a little late from losing tokens.
 */
export function bucketShape(perSecond: number): { burst: number; rate: number } {
  const burst = Math.max(1, perSecond / 50);
  return { burst, rate: perSecond * 0.97 + 1 - burst };
}

/** How late a caller may wake for its slot; the bucket leaves room for about 30 ms (see bucketShape). */
const MAX_LATE_MS = 25;

/**
 * Where a family of buckets lives: provider accounts (keyed by their configuration) and
 * SMTP accounts (keyed by a digest of host, port and user) share the algorithm, not a table.
 */
const BUCKET_TABLES = {
  provider: { table: "provider_rate_buckets", key: "configuration_id" },
  email: { table: "email_rate_buckets", key: "account" },
} as const;

export function createProviderRateLimiter(deps: { db: Db; sleep?: (ms: number) => Promise<void> }) {
  return createSharedRateLimiter({ ...deps, buckets: "provider" });
}

/**
 * A token bucket per provider (or SMTP) account, kept in the database so that every worker process
 * draws from the same bucket: the aggregate request rate to one account never exceeds its
 * configured rate in any one-second interval, however many workers run.
 *
 * Callers reserve a slot rather than poll: one statement takes a token even when the bucket
 * is empty (it goes into debt), and the caller sleeps until its slot. Fifty callers polling
 * one hot row with retries cost the database more than the requests they paced; with
 * reservations each request costs one UPDATE, and concurrent callers get successive slots.
 */
export function createSharedRateLimiter(deps: {
  db: Db;
  buckets: keyof typeof BUCKET_TABLES;
  sleep?: (ms: number) => Promise<void>;
}) {
  const { db } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const table = sql.table(BUCKET_TABLES[deps.buckets].table);
  const key = sql.ref(BUCKET_TABLES[deps.buckets].key);

  /** The reserved slot on the database clock, or null when it would be further than `maxWaitMs` away. */
  async function reserve(bucketKey: string, perSecond: number, maxWaitMs: number) {
    const { burst, rate } = bucketShape(perSecond);
    const refilled = sql<number>`least(${burst}::float8, tokens + extract(epoch from (clock_timestamp() - refilled_at)) * ${rate}::float8)`;
    for (;;) {
      const { rows } = await sql<{ tokens: number; refilled_at: Date }>`
        UPDATE ${table} SET tokens = ${refilled} - 1, refilled_at = clock_timestamp()
        WHERE ${key} = ${bucketKey} AND ${refilled} - 1 >= ${-(maxWaitMs / 1000) * rate}
        RETURNING tokens, refilled_at`.execute(db);
      const taken = rows[0];
      if (taken) {
        // A debt of d tokens is repaid d / rate seconds after the reservation.
        const waitMs = Math.max(0, (-taken.tokens / rate) * 1000);
        const refilledAt = new Date(taken.refilled_at);
        return { slot: new Date(refilledAt.getTime() + waitMs), waitMs };
      }
      const created = await sql`
        INSERT INTO ${table} (${key}, tokens, refilled_at) VALUES (${bucketKey}, ${burst}, ${new Date()})
        ON CONFLICT DO NOTHING RETURNING ${key}`.execute(db);
      // The row existed, so the bucket is too deep in debt: the wait is longer than allowed.
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
        if (reserved.waitMs <= 0) return reserved.slot;
        const wake = Date.now() + reserved.waitMs;
        await sleep(reserved.waitMs);
        // A process starved of CPU wakes late, and its late requests land in the provider's
        // next window on top of that window's own. A slot missed by more than the bucket's
        // room for jitter is given up (it costs one token) and a new one taken — twice at
        // most, so a process that is always late still makes progress.
        if (Date.now() - wake <= MAX_LATE_MS || missed >= 2) return reserved.slot;
      }
    },
  };
}

export type SharedRateLimiter = ReturnType<typeof createSharedRateLimiter>;
export type ProviderRateLimiter = SharedRateLimiter;
