import { sql } from "kysely";
import type { Db } from "../db/database.ts";

/**
 * The shape of the shared bucket for a configured rate R. Providers count in windows
 * (ON24 answers 403 once one is spent), and a token bucket lets at most `burst + rate`
 * requests into any one-second interval. So the two are chosen to add up to less than R + 1:
 * the count in any one-second interval is then at most R, however the provider aligns its
 * windows. A burst of a fiftieth of a second keeps callers that wake a little late from
 * losing tokens; the refill gives up about 1 % of R for it.
 */
export function bucketShape(perSecond: number): { burst: number; rate: number } {
  const burst = Math.max(1, perSecond / 50);
  return { burst, rate: perSecond + 1 - burst - perSecond / 100 };
}

/**
 * A token bucket per provider account, kept in the database so that every worker process
 * draws from the same bucket: the aggregate request rate to one account never exceeds its
 * configured rate in any one-second interval, however many workers run.
 */
export function createProviderRateLimiter(deps: { db: Db; sleep?: (ms: number) => Promise<void> }) {
  const { db } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** The grant's time on the database clock, or how long to wait before asking again. */
  async function tryTake(configurationId: string, perSecond: number): Promise<Date | number> {
    const { burst, rate } = bucketShape(perSecond);
    await db
      .insertInto("provider_rate_buckets")
      .values({ configuration_id: configurationId, tokens: burst, refilled_at: new Date() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const refilled = sql<number>`least(${burst}::float8, tokens + extract(epoch from (clock_timestamp() - refilled_at)) * ${rate}::float8)`;
    const taken = await db
      .updateTable("provider_rate_buckets")
      .set({ tokens: sql`${refilled} - 1`, refilled_at: sql`clock_timestamp()` })
      .where("configuration_id", "=", configurationId)
      .where(refilled, ">=", 1)
      .returning("refilled_at")
      .executeTakeFirst();
    if (taken) return taken.refilled_at;
    const row = await db
      .selectFrom("provider_rate_buckets")
      .select(refilled.as("tokens"))
      .where("configuration_id", "=", configurationId)
      .executeTakeFirst();
    const missing = 1 - Number(row?.tokens ?? 0);
    return Math.max(2, Math.ceil((missing / rate) * 1000));
  }

  return {
    /**
     * Waits until one request to this account is allowed and returns when it was allowed (the
     * database's clock); null when that would take longer than `maxWaitMs` (the caller defers
     * the job rather than hold its lease that long).
     */
    async acquire(configurationId: string, perSecond: number, maxWaitMs = 10_000): Promise<Date | null> {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        const result = await tryTake(configurationId, perSecond);
        if (result instanceof Date) return result;
        if (Date.now() + result > deadline) return null;
        // Jitter spreads workers that woke together.
        await sleep(result + Math.floor(Math.random() * Math.min(20, result)));
      }
    },
  };
}

export type ProviderRateLimiter = ReturnType<typeof createProviderRateLimiter>;
