import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from "cockatiel";
import { sql } from "kysely";
import type { Db } from "../../../db/database.ts";
import type { CallGate } from "../../../jobs/call-gate.ts";
import type { ProviderRateLimiter } from "../../../jobs/rate-limiter.ts";
import { backoffSeconds as jitteredBackoff } from "../../../lib/backoff.ts";
import type { ProviderAccount, ProviderKind, WebinarProvider } from "../../../providers/contract.ts";
import { ProviderError } from "../../../providers/contract.ts";
import { requestPacing } from "../../../providers/http.ts";
import { type ConfigurationService, wipe } from "../configurations.service.ts";

/** How a provider call ended, in the terms a sync handler acts on. */
export type CallOutcome<T> =
  | { kind: "ok"; value: T }
  /** Feature off for this account (credentials removed, terms withdrawn) or credentials unusable. */
  | { kind: "held"; reason: string; requestsSent?: number }
  /** Not attempted, or refused for now (quota, rate limit, open breaker): try later, attempt not spent. */
  | { kind: "deferred"; afterSeconds: number; reason: string; requestsSent?: number }
  /** Attempted and failed in a way a retry may fix (5xx, timeout, reset, malformed answer). */
  | { kind: "retry"; reason: string }
  /** Attempted and refused for good (invalid data, permission, gone). */
  | { kind: "failed"; reason: string };

export interface SyncTuning {
  /** The longest an account pauses after ON24-style quota answers in a row (the first pauses a second). */
  quotaPauseSeconds: number;
  /** Attempts at a transient failure before the work is marked failed (replayable). */
  maxAttempts: number;
  /** The longest wait before a registration or webinar sync that failed is tried again (the back-off doubles up to it). */
  retryCapSeconds: number;
  breakerFailures: number;
  breakerOpenSeconds: number;
}

export const DEFAULT_TUNING: SyncTuning = {
  quotaPauseSeconds: 30,
  maxAttempts: 8,
  retryCapSeconds: 300,
  breakerFailures: 8,
  breakerOpenSeconds: 15,
};

/** The wait before attempt n + 1 of a transient failure: exponential, jittered, capped (jitter included). */
export type RetryBackoff = (attempts: number) => number;

export function retryBackoff(tuning: Partial<SyncTuning> = {}): RetryBackoff {
  const cap = tuning.retryCapSeconds ?? DEFAULT_TUNING.retryCapSeconds;
  return (attempts) => jitteredBackoff(attempts, cap);
}

/**
 * Runs one provider call for one account with every guard in order: account paused by a
 * quota answer → defer; breaker open → defer; then, holding the switch-off permit, load
 * and decrypt the credentials (none → held), call — each HTTP request of the call waits
 * for a slot of the shared rate limiter (`requestPacing`) — and classify the answer.
 * Decrypted credentials are zeroed after the call.
 */
export function createProviderCaller(deps: {
  db: Db;
  providers: Record<ProviderKind, WebinarProvider>;
  configurations: Pick<ConfigurationService, "loadAccount" | "recordHealth">;
  gate: CallGate;
  limiter: ProviderRateLimiter;
  tuning?: Partial<SyncTuning>;
}) {
  const { db, providers, configurations, gate, limiter } = deps;
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const breakers = new Map<string, CircuitBreakerPolicy>();

  const breakerFor = (configurationId: string) => {
    let b = breakers.get(configurationId);
    if (!b) {
      b = circuitBreaker(
        handleWhen((e) => e instanceof ProviderError && e.kind === "transient"),
        {
          halfOpenAfter: tuning.breakerOpenSeconds * 1000,
          breaker: new ConsecutiveBreaker(tuning.breakerFailures),
        },
      );
      breakers.set(configurationId, b);
    }
    return b;
  };

  /**
   * Pauses the account after a quota answer and returns the seconds left. ON24 names no window
   * and sends no Retry-After, and the shared limiter already keeps to the configured rate, so
   * a lone answer (a window missed by network jitter) is worth one second; answers that keep
   * coming right after a pause mean a longer window or a smaller quota, and double the pause
   * up to the configured maximum. Answers to requests already in flight while paused belong
   * to the same episode and change nothing. One statement, so workers serialize on the row.
   */
  async function pause(configurationId: string, retryAfterSeconds: number | undefined): Promise<number> {
    const first = Math.min(1, tuning.quotaPauseSeconds);
    const max = tuning.quotaPauseSeconds;
    const next = retryAfterSeconds
      ? sql<number>`${retryAfterSeconds}::float8`
      : sql<number>`CASE
          WHEN paused_until > now() THEN quota_pause_seconds
          WHEN paused_until > now() - make_interval(secs => greatest(quota_pause_seconds, ${first}::float8))
            THEN least(${max}::float8, greatest(${first}::float8, quota_pause_seconds * 2))
          ELSE ${first}::float8 END`;
    const row = await db
      .updateTable("webinar_configurations")
      .set({
        quota_pause_seconds: next,
        paused_until: sql`CASE WHEN paused_until > now() THEN paused_until
          ELSE now() + make_interval(secs => ${next}) END`,
      })
      .where("id", "=", configurationId)
      .returning(sql<number>`extract(epoch from (paused_until - now()))::float8`.as("left"))
      .executeTakeFirst();
    return Math.max(0.1, Number(row?.left ?? first));
  }

  return async function call<T>(
    configurationId: string,
    fn: (provider: WebinarProvider, account: ProviderAccount) => Promise<T>,
  ): Promise<CallOutcome<T>> {
    const config = await db
      .selectFrom("webinar_configurations")
      .select(["paused_until"])
      .where("id", "=", configurationId)
      .executeTakeFirst();
    if (!config) return { kind: "held", reason: "The webinar configuration was deleted" };
    const pausedMs = (config.paused_until?.getTime() ?? 0) - Date.now();
    if (pausedMs > 0)
      return {
        kind: "deferred",
        afterSeconds: pausedMs / 1000,
        reason: "Account paused after a quota answer",
      };

    return gate.withPermit(configurationId, async () => {
      const loaded = await configurations.loadAccount(configurationId);
      if (!loaded) return { kind: "held", reason: "Credentials removed or terms not accepted" } as const;
      const provider = providers[loaded.row.provider as ProviderKind];
      // Requests that went out (each passed its slot), so a handler can tell a refusal of the
      // call's only request from one that came after others (writeMayHaveLanded).
      let requestsSent = 0;
      try {
        const pace = async () => {
          if (!(await limiter.acquire(configurationId, loaded.row.requests_per_second)))
            throw new ProviderError("rate_limited", "Waiting for the account's request rate", {
              retryAfterMs: 1000 + Math.random() * 2000,
            });
          requestsSent++;
        };
        const breaker = breakerFor(configurationId);
        // Half-open means one trial call is in flight. cockatiel would queue this call behind
        // it, holding a worker lane and the switch-off permit for as long as the trial takes
        // (up to the provider timeout); an open breaker defers instead, and so does this.
        if (breaker.state === CircuitState.HalfOpen) throw new BrokenCircuitError();
        const value = await breaker.execute(() =>
          requestPacing.run(pace, () => fn(provider, loaded.account)),
        );
        return { kind: "ok", value } as const;
      } catch (error) {
        const outcome = await classify(configurationId, error);
        return outcome.kind === "held" || outcome.kind === "deferred"
          ? { ...outcome, requestsSent }
          : outcome;
      } finally {
        wipe(loaded.account);
      }
    });
  };

  async function classify(configurationId: string, error: unknown): Promise<CallOutcome<never>> {
    if (error instanceof BrokenCircuitError) {
      return {
        kind: "deferred",
        afterSeconds: tuning.breakerOpenSeconds,
        reason: "Circuit open after repeated provider failures",
      };
    }
    if (!(error instanceof ProviderError)) throw error;
    switch (error.kind) {
      case "quota": {
        const retryAfterMs = error.details.retryAfterMs;
        // Our pacing let one request too many into the provider's window: widen its room.
        limiter.quotaAnswered();
        const left = await pause(configurationId, retryAfterMs ? retryAfterMs / 1000 : undefined);
        return { kind: "deferred", afterSeconds: left, reason: error.message };
      }
      case "rate_limited":
        return {
          kind: "deferred",
          afterSeconds: (error.details.retryAfterMs ?? 2000) / 1000,
          reason: error.message,
        };
      case "auth":
      case "token_expired":
        await configurations.recordHealth(configurationId, {
          status: error.kind === "auth" ? "not_authenticated" : "token_expired",
          message: error.message,
        });
        return { kind: "held", reason: error.message };
      case "transient":
        return { kind: "retry", reason: error.message };
      default:
        return { kind: "failed", reason: error.message };
    }
  }
}

export type ProviderCaller = ReturnType<typeof createProviderCaller>;

/**
 * Whether a write begun in a call that ended held or deferred may have reached the provider.
 * Those outcomes do not count the attempt, but a write that may have landed must still make the
 * next attempt look up first (Teams registers with a POST, then reads the registration back: a
 * 429 or 401 on the read comes after the POST). A refusal is of the request that ended the call,
 * so a call whose only request was refused applied nothing; anything sent before it may have
 * been the write. The other outcomes count the attempt, which already makes the next one look.
 */
export function writeMayHaveLanded(outcome: CallOutcome<unknown>, writeBegun: boolean): boolean {
  if (!writeBegun) return false;
  if (outcome.kind !== "held" && outcome.kind !== "deferred") return true;
  return (outcome.requestsSent ?? 0) > 1;
}
