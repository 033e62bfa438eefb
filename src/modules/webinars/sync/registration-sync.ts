import { type ExpressionBuilder, sql, type Transaction } from "kysely";
import type { Db } from "../../../db/database.ts";
import type { Database } from "../../../db/schema.ts";
import {
  claimedBy,
  DEFAULT_LEASE,
  LeaseLost,
  type LeaseTiming,
  leaseUntil,
  newLeaseToken,
  startHeartbeat,
} from "../../../jobs/lease.ts";
import type { JobMeta, JobQueue } from "../../../jobs/queue.ts";
import { type PoolUsage, startTiming } from "../../../jobs/start-timing.ts";
import type { Logger } from "../../../lib/logger.ts";
import {
  ProviderError,
  type ProviderKind,
  type ProviderRegistrant,
  type RegistrantSpec,
  type WebinarProvider,
} from "../../../providers/contract.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";
import { providerAnswers } from "./answers.ts";
import { createBulkRegistrar } from "./bulk-register.ts";
import { CAMPAIGN_COLUMNS, campaignOf } from "./campaign.ts";
import {
  type CallOutcome,
  type ProviderCaller,
  type RetryBackoff,
  retryBackoff,
  writeMayHaveLanded,
} from "./provider-call.ts";
import { emitSyncOutcome } from "./webhook-events.ts";

/** A sync row with something left to do (the opposite of the early returns in the handler). */
const needsWork = (eb: ExpressionBuilder<Database, "registration_syncs">) =>
  eb.and([
    eb("state", "<>", "failed"),
    eb.not(eb.and([eb("state", "=", "synced"), eb("desired", "=", "registered")])),
    eb.not(eb.and([eb("state", "=", "cancelled"), eb("desired", "=", "cancelled")])),
  ]);

/** How often a first attempt steps back for a batch in flight before it goes alone. */
const MAX_BATCH_WAITS = 5;

/**
 * Brings one registration at one webinar in line with what it should be (registered or
 * cancelled). Never twice: a lease on the sync row keeps two workers apart, and any attempt
 * after the first looks the person up at the provider before registering. Never lost: the
 * job is only finished once the outcome is stored; a crash leaves the job to be claimed again.
 * The lease is renewed by heartbeat and fenced (src/jobs/lease.ts): the outcome is stored only
 * while this job still holds it, so a worker that lost it cannot overwrite the new holder's.
 */
export function createRegistrationSyncHandler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  maxAttempts: number;
  /** The adapters, for batch registration of backlogs (providers with `bulkRegister`). */
  providers?: Record<ProviderKind, WebinarProvider>;
  lease?: LeaseTiming;
  /** Outgoing webhooks: registration.synced and registration.sync_failed. */
  emitWebhookEvent: EmitWebhookEvent;
  /** For the start timing (fetch to claim, src/jobs/start-timing.ts). */
  logger?: Logger | undefined;
  pool?: PoolUsage;
  backoff?: RetryBackoff;
}) {
  const { db, queue, call, emitWebhookEvent } = deps;
  const lease = deps.lease ?? DEFAULT_LEASE;
  const backoff = deps.backoff ?? retryBackoff();
  const registerBatch = createBulkRegistrar({ db, queue, call, lease, emitWebhookEvent, backoff });

  return async function handle(
    {
      registrationId,
      webinarId,
      batchWaits,
    }: {
      registrationId: string;
      webinarId: string;
      batchWaits?: number;
    },
    job?: JobMeta,
  ) {
    const timing = job ? startTiming(deps.logger, "registration.sync", job, deps.pool) : null;
    const row = await db
      .selectFrom("registration_syncs as s")
      .innerJoin("webinars as w", "w.id", "s.webinar_id")
      .innerJoin("registrations as r", "r.id", "s.registration_id")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .innerJoin("events as e", "e.id", "r.event_id")
      .innerJoin("webinar_configurations as cfg", "cfg.id", "s.configuration_id")
      .select([
        "cfg.provider",
        "s.state",
        "s.desired",
        "s.attempts",
        "s.provider_registrant_id",
        "s.configuration_id",
        "w.provider_webinar_id",
        "w.state as webinar_state",
        "w.join_url as webinar_join_url",
        "c.email",
        "c.first_name",
        "c.last_name",
        "c.company",
        "c.job_title",
        "r.answers",
        "e.registration_questions",
        ...CAMPAIGN_COLUMNS,
      ])
      .where("s.registration_id", "=", registrationId)
      .where("s.webinar_id", "=", webinarId)
      .executeTakeFirst();
    timing?.step("select");
    if (!row || row.state === "failed" || (row.state === "synced" && row.desired === "registered"))
      return timing?.end("settled");
    if (row.state === "cancelled" && row.desired === "cancelled") return timing?.end("settled");
    // The webinar's own job enqueues its registrations once it is provisioned.
    if (row.webinar_state !== "provisioned" || !row.provider_webinar_id) return timing?.end("unprovisioned");

    // A first attempt at registering, with a provider that takes batches: bring a backlog along
    // (the batch takes this row's lease together with the others'; see bulk-register.ts).
    const bulkProvider = deps.providers?.[row.provider as ProviderKind];
    if (row.desired === "registered" && row.attempts === 0 && bulkProvider?.bulkRegister) {
      const waits = batchWaits ?? 0;
      const batched = await registerBatch(
        bulkProvider,
        {
          registrationId,
          webinarId,
          configurationId: row.configuration_id,
          providerWebinarId: row.provider_webinar_id,
          webinarJoinUrl: row.webinar_join_url,
        },
        waits < MAX_BATCH_WAITS,
      );
      if (batched === "batched") return timing?.end("batched");
      if (batched === "wait") {
        timing?.end("batch wait");
        await queue.send(
          db,
          "registration.sync",
          { registrationId, webinarId, batchWaits: waits + 1 },
          { startAfterSeconds: 1 + Math.random() },
        );
        return;
      }
    }
    const token = newLeaseToken();
    const claimed = await db
      .updateTable("registration_syncs")
      .set(claimedBy(lease, token))
      .where("registration_id", "=", registrationId)
      .where("webinar_id", "=", webinarId)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", sql<Date>`now()`)]))
      // Re-checked under the lock: a batch that held this row while it was read above may have
      // stored it since (and released the lease), which would make this a needless retry.
      .where(needsWork)
      .returning("attempts")
      .executeTakeFirst();
    timing?.end(claimed ? "claimed" : "held elsewhere");
    if (!claimed) {
      // Another worker holds the lease. Look again once it lapses, in case that worker died.
      // The row stays locked until the retry is enqueued: a batch storing it meanwhile waits,
      // and then deletes the retry with the row's other queued jobs (bulk-register.ts); one
      // that stored it first leaves nothing to retry.
      await db.transaction().execute(async (trx) => {
        const held = await trx
          .selectFrom("registration_syncs")
          .select(sql<number>`greatest(0, extract(epoch from (lease_until - now())))::float8`.as("left"))
          .where("registration_id", "=", registrationId)
          .where("webinar_id", "=", webinarId)
          .where(needsWork)
          .forShare()
          .executeTakeFirst();
        if (!held) return;
        await queue.send(
          trx,
          "registration.sync",
          { registrationId, webinarId },
          { startAfterSeconds: held.left + 1 },
        );
      });
      return;
    }

    /** Fenced: only while this job holds the lease. */
    const mine = (executor: Db | Transaction<Database> = db) =>
      executor
        .updateTable("registration_syncs")
        .where("registration_id", "=", registrationId)
        .where("webinar_id", "=", webinarId)
        .where("lease_token", "=", token);
    /**
     * Stores the outcome and releases the lease; false when this job lost the lease. A final
     * outcome (synced, failed) tells the webhook subscribers in the same transaction.
     */
    const release = async (
      set: Record<string, unknown>,
      tell?: "registration.synced" | "registration.sync_failed",
    ) =>
      db.transaction().execute(async (trx) => {
        const res = await mine(trx)
          .set({ ...set, lease_until: null, lease_token: null, updated_at: new Date() })
          .executeTakeFirst();
        const stored = Number(res.numUpdatedRows) > 0;
        if (stored && tell) await emitSyncOutcome(trx, emitWebhookEvent, tell, webinarId, [registrationId]);
        return stored;
      });
    const again = (startAfterSeconds: number) =>
      queue.send(db, "registration.sync", { registrationId, webinarId }, { startAfterSeconds });
    const stopHeartbeat = startHeartbeat(lease, () =>
      mine()
        .set({ lease_until: leaseUntil(lease) })
        .execute(),
    );

    const webinarKey = row.provider_webinar_id;
    const person: RegistrantSpec = {
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      company: row.company,
      jobTitle: row.job_title,
      answers: providerAnswers(row.registration_questions, row.answers),
      campaign: campaignOf(row),
    };
    const attempt = claimed.attempts + 1;
    let writeBegun = false;
    const outcome: CallOutcome<ProviderRegistrant | null> | null = await call(
      row.configuration_id,
      async (provider, account) => {
        // Fenced too: a job that lost the lease before writing sends nothing.
        const kept = await mine().set({ attempts: attempt, last_attempt_at: new Date() }).executeTakeFirst();
        if (Number(kept.numUpdatedRows) === 0) throw new LeaseLost();
        if (row.desired === "cancelled") {
          if (row.provider_registrant_id) {
            await provider.cancelRegistration(account, webinarKey, {
              providerRegistrantId: row.provider_registrant_id,
              email: person.email,
            });
          }
          return null;
        }
        // Any attempt after the first may follow one that reached the provider: look first.
        if (attempt > 1 && provider.findRegistrantByEmail) {
          const existing = await provider.findRegistrantByEmail(account, webinarKey, person.email);
          if (existing) return existing;
        }
        try {
          writeBegun = true;
          return await provider.register(account, webinarKey, person);
        } catch (error) {
          if (error instanceof ProviderError && error.kind === "conflict" && provider.findRegistrantByEmail) {
            const existing = await provider.findRegistrantByEmail(account, webinarKey, person.email);
            if (existing) return existing;
          }
          throw error;
        }
      },
    )
      .catch((error) => {
        if (error instanceof LeaseLost) return null;
        throw error;
      })
      .finally(stopHeartbeat);
    if (outcome === null) return;

    // Held and deferred do not count the attempt, unless a register may have reached the
    // provider: then the next attempt must look the person up first (attempts ≥ 1).
    const uncounted = writeMayHaveLanded(outcome, writeBegun)
      ? Math.max(claimed.attempts, 1)
      : claimed.attempts;
    // A job that lost its lease stores nothing and enqueues nothing: the row is the new holder's.
    switch (outcome.kind) {
      case "ok": {
        const registrant = outcome.value;
        await release(
          {
            state: row.desired === "registered" ? "synced" : "cancelled",
            last_error: null,
            synced_at: new Date(),
            ...(registrant && {
              provider_registrant_id: registrant.providerRegistrantId,
              join_url: registrant.joinUrl ?? row.webinar_join_url,
            }),
          },
          row.desired === "registered" ? "registration.synced" : undefined,
        );
        return;
      }
      case "held":
        await release({ state: "held", last_error: outcome.reason, attempts: uncounted });
        return;
      case "deferred":
        // Not the registration's fault: the attempt is not counted.
        if (await release({ attempts: uncounted, last_error: outcome.reason }))
          await again(outcome.afterSeconds);
        return;
      case "retry":
        if (attempt >= deps.maxAttempts) {
          await release(
            { state: "failed", last_error: `${outcome.reason} (after ${attempt} attempts)` },
            "registration.sync_failed",
          );
          return;
        }
        if (await release({ last_error: outcome.reason })) await again(backoff(attempt));
        return;
      case "failed":
        await release({ state: "failed", last_error: outcome.reason }, "registration.sync_failed");
        return;
    }
  };
}
