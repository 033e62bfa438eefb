import { sql } from "kysely";
import type { Db } from "../db/database.ts";

/**
 * A token bucket per provider account, kept in the database so that every worker process
 * draws from the same bucket: the aggregate request rate to one account never exceeds its
 * configured rate (plus a tenth of a second of burst), however many workers run. The burst is
 * kept small on purpose: providers count in fixed windows (ON24 answers 403 when one is
 * spent), and a full second of saved-up tokens let up to twice the rate into one window.
 */
export function createProviderRateLimiter(deps: { db: Db; sleep?: (ms: number) => Promise<void> }) {
  const { db } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function tryTake(configurationId: string, perSecond: number): Promise<number> {
    const burst = Math.max(1, perSecond / 10);
    await db
      .insertInto("provider_rate_buckets")
      .values({ configuration_id: configurationId, tokens: burst, refilled_at: new Date() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const refilled = sql<number>`least(${burst}::float8, tokens + extract(epoch from (clock_timestamp() - refilled_at)) * ${perSecond}::float8)`;
    const taken = await db
      .updateTable("provider_rate_buckets")
      .set({ tokens: sql`${refilled} - 1`, refilled_at: sql`clock_timestamp()` })
      .where("configuration_id", "=", configurationId)
      .where(refilled, ">=", 1)
      .returning("tokens")
      .executeTakeFirst();
    if (taken) return 0;
    const row = await db
      .selectFrom("provider_rate_buckets")
      .select(refilled.as("tokens"))
      .where("configuration_id", "=", configurationId)
      .executeTakeFirst();
    const missing = 1 - Number(row?.tokens ?? 0);
    return Math.max(5, Math.ceil((missing / perSecond) * 1000));
  }

  return {
    /**
     * Waits until one request to this account is allowed; false when that would take longer
     * than `maxWaitMs` (the caller defers the job rather than hold its lease that long).
     */
    async acquire(configurationId: string, perSecond: number, maxWaitMs = 10_000): Promise<boolean> {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        const waitMs = await tryTake(configurationId, perSecond);
        if (waitMs === 0) return true;
        if (Date.now() + waitMs > deadline) return false;
        // Jitter spreads workers that woke together.
        await sleep(waitMs + Math.floor(Math.random() * Math.min(50, waitMs)));
      }
    },
  };
}

export type ProviderRateLimiter = ReturnType<typeof createProviderRateLimiter>;
