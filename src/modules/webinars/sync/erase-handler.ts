import { sql } from "kysely";
import type { Db } from "../../../db/database.ts";
import {
  claimedBy,
  DEFAULT_LEASE,
  type LeaseTiming,
  leaseUntil,
  newLeaseToken,
  startHeartbeat,
} from "../../../jobs/lease.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import type { Envelope } from "../../../keys/index.ts";
import { erasureEmailContext } from "../../../keys/sealed-columns.ts";
import { backoffSeconds } from "../../../lib/backoff.ts";
import type { Logger } from "../../../lib/logger.ts";
import { type ErasureResult, ProviderError } from "../../../providers/contract.ts";
import type { CallOutcome, ProviderCaller } from "./provider-call.ts";

/** Attempts at a transient failure after which an alert is logged (retries go on). */
export const ERASURE_ALERT_ATTEMPTS = 8;
/** Longest wait between attempts while a provider is down. */
const MAX_BACKOFF_SECONDS = 600;
/** While the account is switched off (credentials removed, terms withdrawn): look again this often. */
const HELD_RECHECK_SECONDS = 300;

export const erasureBackoffSeconds = (attempts: number) => backoffSeconds(attempts, MAX_BACKOFF_SECONDS);

/**
 * Drives one provider erasure to done: opens the sealed address, asks the provider to
 * forget the person through the provider caller (pause, breaker, switch-off permit,
 * credentials, rate limit), and records the outcome. Transient failures are retried with
 * back-off for as long as it takes — the row stays `pending` with `attempts` and
 * `last_error` visible, and an alert is logged once after ERASURE_ALERT_ATTEMPTS. Only a
 * permanent refusal (or a provider without an erasure API, or an unreadable sealed address)
 * makes it `failed`, with an alert. On success the sealed address is wiped.
 */
export function createPersonEraseHandler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  envelope: Envelope;
  logger?: Logger | undefined;
  /** Overrides the back-off (tests). */
  backoffSeconds?: (attempts: number) => number;
  lease?: LeaseTiming;
}) {
  const { db, queue, call, envelope, logger } = deps;
  const backoff = deps.backoffSeconds ?? erasureBackoffSeconds;
  const lease = deps.lease ?? DEFAULT_LEASE;

  /** Writes the row while this job holds the lease (fenced by its token). */
  const mine = (id: string, token: string) =>
    db.updateTable("provider_erasures").where("id", "=", id).where("lease_token", "=", token);

  const again = (providerErasureId: string, afterSeconds: number) =>
    queue.send(db, "person.erase", { providerErasureId }, { startAfterSeconds: afterSeconds });

  function alert(
    row: { id: string; erasure_id: string; organization_id: string; configuration_id: string },
    reason: string,
    state: string,
  ) {
    logger?.error(
      {
        alert: "erasure_not_propagated",
        providerErasureId: row.id,
        erasureId: row.erasure_id,
        organizationId: row.organization_id,
        configurationId: row.configuration_id,
        state,
        reason,
      },
      "a provider erasure needs attention",
    );
  }

  return async function handle({ providerErasureId }: { providerErasureId: string }) {
    const row = await db
      .selectFrom("provider_erasures")
      .selectAll()
      .where("id", "=", providerErasureId)
      .executeTakeFirst();
    if (row?.state !== "pending") return;

    const token = newLeaseToken();
    const claimed = await db
      .updateTable("provider_erasures")
      .set(claimedBy(lease, token))
      .where("id", "=", row.id)
      .where("state", "=", "pending")
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", sql<Date>`now()`)]))
      .returning("attempts")
      .executeTakeFirst();
    if (!claimed) {
      // Another worker holds it; look again once its lease lapses, in case that worker died.
      await again(row.id, lease.seconds + 1);
      return;
    }
    /** Stores the outcome and releases the lease; false when this job lost the lease. */
    const release = async (set: Record<string, unknown>) => {
      const res = await mine(row.id, token)
        .set({ ...set, lease_until: null, lease_token: null, updated_at: new Date() })
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    };

    const configuration = await db
      .selectFrom("webinar_configurations")
      .select("id")
      .where("id", "=", row.configuration_id)
      .executeTakeFirst();
    if (!configuration) {
      const reason = "The provider account's configuration was deleted: erase the person there by hand";
      await release({ state: "failed", last_error: reason, alerted_at: new Date() });
      alert(row, reason, "failed");
      return;
    }

    let email: Buffer;
    try {
      email = await envelope.open(row.sealed_email, erasureEmailContext(row));
    } catch (error) {
      const reason = `The sealed address cannot be opened (${(error as Error).name})`;
      await release({ state: "failed", last_error: reason, alerted_at: new Date() });
      alert(row, reason, "failed");
      return;
    }

    const address = email.toString("utf8");
    const stopHeartbeat = startHeartbeat(lease, () =>
      mine(row.id, token)
        .set({ lease_until: leaseUntil(lease) })
        .execute(),
    );
    const attempt = claimed.attempts + 1;
    let outcome: CallOutcome<ErasureResult | undefined>;
    try {
      outcome = await call(row.configuration_id, async (provider, account) => {
        if (!provider.erasePerson)
          throw new ProviderError(
            "invalid",
            `${provider.kind} has no erasure API: erase the person there by hand`,
          );
        await mine(row.id, token).set({ attempts: attempt, last_attempt_at: new Date() }).execute();
        return provider.erasePerson(account, address, row.targets ?? []);
      }).finally(stopHeartbeat);
    } catch (error) {
      // Not a provider answer (database, bug): keep the work, retry later, tell no secrets.
      logger?.error({ err: error, providerErasureId: row.id }, "provider erasure attempt failed internally");
      if (await release({ attempts: attempt, last_error: "Internal error while erasing; retrying" }))
        await again(row.id, backoff(attempt));
      return;
    } finally {
      email.fill(0);
    }
    // Provider messages should not carry the address; make sure.
    const scrub = (reason: string) => reason.split(address).join("[address]");

    switch (outcome.kind) {
      case "ok":
        await release({
          state: "done",
          sealed_email: null,
          pending_hash: null,
          // The provider's ids of the person's registrations are no longer needed.
          targets: null,
          retained: JSON.stringify((outcome.value?.retained ?? []).map(scrub)),
          last_error: null,
          completed_at: new Date(),
        });
        logger?.info({ providerErasureId: row.id, erasureId: row.erasure_id }, "provider erasure done");
        return;
      case "held":
        // The account is switched off (or the configuration deleted): no call may be made.
        // The erasure waits, visibly, and goes through once the account is back.
        if (
          await release({
            attempts: claimed.attempts,
            last_error: `Waiting: ${scrub(outcome.reason)}`,
          })
        )
          await again(row.id, HELD_RECHECK_SECONDS);
        return;
      case "deferred":
        if (await release({ attempts: claimed.attempts, last_error: scrub(outcome.reason) }))
          await again(row.id, outcome.afterSeconds);
        return;
      case "retry": {
        const overdue = attempt >= ERASURE_ALERT_ATTEMPTS && !row.alerted_at;
        const kept = await release({
          last_error: scrub(outcome.reason),
          ...(overdue && { alerted_at: new Date() }),
        });
        if (!kept) return;
        if (overdue) alert(row, scrub(outcome.reason), "pending");
        await again(row.id, backoff(attempt));
        return;
      }
      case "failed":
        await release({ state: "failed", last_error: scrub(outcome.reason), alerted_at: new Date() });
        alert(row, scrub(outcome.reason), "failed");
        return;
    }
  };
}
