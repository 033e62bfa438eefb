import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import { RateLimitedError } from "../../lib/rate-limit.ts";

export interface SignInLimits {
  /** Failed sign-ins from one client address, whatever the account, per window. */
  perAddress: number;
  /** Failed sign-ins for one account from one client address, per window. */
  perAccountAndAddress: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAddress: 30,
  perAccountAndAddress: 5,
  windowMs: 15 * 60_000,
};

const digest = (value: string) => createHash("sha256").update(value).digest("hex");

/**
 * Limits failed password sign-ins, counted in PostgreSQL so every API process shares them.
 *
 * Two counters, both checked before any password is hashed (a refused attempt costs no
 * argon2 memory): per client address, and per (account, client address). There is
 * deliberately no counter per account alone: anyone who knows an address could use it to
 * lock its owner out. A guesser spread over many addresses is held to the per-pair limit at
 * each, and the hash cap (passwords.ts) bounds what they cost us. Keys are hashed: the table
 * holds neither email nor client address.
 */
export function createSignInLimiter(deps: { db: Db; limits?: SignInLimits; now?: () => Date }) {
  const { db } = deps;
  const limits = deps.limits ?? DEFAULT_SIGN_IN_LIMITS;
  const now = deps.now ?? (() => new Date());
  let failuresSinceSweep = 0;

  const keys = (email: string, address: string) => [
    { hash: digest(`address\0${address}`), max: limits.perAddress },
    { hash: digest(`account\0${email}\0${address}`), max: limits.perAccountAndAddress },
  ];

  return {
    /** Throws 429 with the seconds until the window ends when either counter is used up. */
    async check(email: string, address: string): Promise<void> {
      const wanted = keys(email, address);
      const since = new Date(now().getTime() - limits.windowMs);
      const rows = await db
        .selectFrom("sign_in_failures")
        .select(["key_hash", "failures", "window_started_at"])
        .where(
          "key_hash",
          "in",
          wanted.map((k) => k.hash),
        )
        .where("window_started_at", ">", since)
        .execute();
      let retryAfterMs = 0;
      for (const row of rows) {
        const max = wanted.find((k) => k.hash === row.key_hash)?.max ?? 0;
        if (row.failures >= max)
          retryAfterMs = Math.max(
            retryAfterMs,
            row.window_started_at.getTime() + limits.windowMs - now().getTime(),
          );
      }
      if (retryAfterMs > 0) throw new RateLimitedError(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    },

    /** Counts a failure on both counters (a window starts at the first failure). */
    async recordFailure(email: string, address: string): Promise<void> {
      const at = now();
      const expired = new Date(at.getTime() - limits.windowMs);
      for (const key of keys(email, address)) {
        await db
          .insertInto("sign_in_failures")
          .values({ key_hash: key.hash, window_started_at: at, failures: 1 })
          .onConflict((oc) =>
            oc.column("key_hash").doUpdateSet({
              failures: sql`CASE WHEN sign_in_failures.window_started_at <= ${expired} THEN 1 ELSE sign_in_failures.failures + 1 END`,
              window_started_at: sql`CASE WHEN sign_in_failures.window_started_at <= ${expired} THEN ${at} ELSE sign_in_failures.window_started_at END`,
            }),
          )
          .execute();
      }
      // Now and then, forget windows that ended: the table stays as small as the recent failures.
      if (++failuresSinceSweep >= 100) {
        failuresSinceSweep = 0;
        await db.deleteFrom("sign_in_failures").where("window_started_at", "<=", expired).execute();
      }
    },

    /** The right password clears the account's counter for that address (not the address's). */
    async recordSuccess(email: string, address: string): Promise<void> {
      const [, pair] = keys(email, address);
      if (pair) await db.deleteFrom("sign_in_failures").where("key_hash", "=", pair.hash).execute();
    },
  };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
