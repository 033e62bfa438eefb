import { sql } from "kysely";
import type { DatabaseHandle } from "../../../db/database.ts";
import type { createCallGate } from "../../../jobs/call-gate.ts";
import { createLeaseSweeper, DEFAULT_LEASE, type LeaseTiming } from "../../../jobs/lease.ts";
import { createLiveness } from "../../../jobs/liveness.ts";
import { type JobQueue, type JobWorkers, startWorkers } from "../../../jobs/queue.ts";
import { createProviderRateLimiter } from "../../../jobs/rate-limiter.ts";
import type { Envelope } from "../../../keys/index.ts";
import type { Logger } from "../../../lib/logger.ts";
import type { ProviderKind, WebinarProvider } from "../../../providers/contract.ts";
import type { ContactService } from "../../contacts/contacts.service.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";
import type { ConfigurationService } from "../configurations.service.ts";
import { webinarOfRegistration } from "../registration-webinars.ts";
import type { WebhookApplier } from "../webhooks/apply.ts";
import { createPersonEraseHandler } from "./erase-handler.ts";
import {
  createMetricsPollHandler,
  DEFAULT_POLL_PLAN,
  loadWebinar,
  nextPollInSeconds,
  type PollPlan,
} from "./metrics-poll.ts";
import { createPeopleMatcher, type PeopleMatcher } from "./people.ts";
import { createProviderCaller, DEFAULT_TUNING, retryBackoff, type SyncTuning } from "./provider-call.ts";
import { createReconciler, type ReconcilePlan } from "./reconcile.ts";
import { createRegistrationSyncHandler } from "./registration-sync.ts";
import { createSubscriptionKeeper } from "./subscriptions.ts";
import { NO_WEBHOOKS } from "./webhook-events.ts";
import { createWebinarSyncHandler } from "./webinar-sync.ts";

export interface SyncOptions {
  tuning?: Partial<SyncTuning>;
  pollPlan?: Partial<PollPlan>;
  /** Jobs of each kind one process runs at once. */
  concurrency?: number;
  /** This deployment's public URL, for the notification URL of provider subscriptions. */
  publicUrl?: string;
  /** Leases on sync work (src/jobs/lease.ts); tests shorten them. */
  lease?: LeaseTiming;
  /** When webinars are reconciled with their provider's registrant list (sync/reconcile.ts). */
  reconcilePlan?: Partial<ReconcilePlan>;
}

/**
 * The sync engine's worker side: the three job handlers, wired to one provider caller
 * (pause → breaker → switch-off permit → credentials → shared rate limit → call).
 */
export function createSyncWorker(deps: {
  database: DatabaseHandle;
  queue: JobQueue;
  providers: Record<ProviderKind, WebinarProvider>;
  configurations: ConfigurationService;
  contacts: ContactService;
  gate: ReturnType<typeof createCallGate>;
  /** Opens the sealed addresses of provider erasures (person.erase). */
  envelope: Envelope;
  /**
   * The people matcher and the applier of provider changes (webhooks/apply.ts), which
   * reconciliation shares with webhook ingestion. Without them, a matcher of its own and no
   * reconciliation handler beyond marking runs unsupported (tests of other parts).
   */
  people?: PeopleMatcher;
  applyProviderEvents?: WebhookApplier;
  logger?: Logger | undefined;
  options?: SyncOptions;
  /** Outgoing webhooks (src/modules/webhooks-out); engine-only tests leave it out. */
  emitWebhookEvent?: EmitWebhookEvent;
}) {
  const emitWebhookEvent = deps.emitWebhookEvent ?? NO_WEBHOOKS;
  const { database, queue, providers, configurations, contacts, gate, envelope, logger } = deps;
  const { db } = database;
  const options = deps.options ?? {};
  const plan = { ...DEFAULT_POLL_PLAN, ...options.pollPlan };
  const maxAttempts = options.tuning?.maxAttempts ?? DEFAULT_TUNING.maxAttempts;
  // The tuned cap is for the work of registrations and webinars. Subscriptions and
  // reconciliations keep their five-minute cap: they are background upkeep, and a subscription
  // the provider keeps refusing would otherwise be asked again every few seconds for good.
  const backoff = retryBackoff(options.tuning);
  // A worker process names itself in its leases (server PostgreSQL only: src/jobs/liveness.ts),
  // so its death hands its rows on within two sweeps rather than a whole lease.
  const liveness = database.connectionString
    ? createLiveness(database.connectionString, (error) =>
        logger?.warn({ err: error }, "liveness lock not held; trying again"),
      )
    : null;
  const lease: LeaseTiming = {
    ...(options.lease ?? DEFAULT_LEASE),
    holder: () => liveness?.holder() ?? null,
  };
  const sweeper = createLeaseSweeper({ db, queue, timing: lease });
  const call = createProviderCaller({
    db,
    providers,
    configurations,
    gate,
    limiter: createProviderRateLimiter({ db }),
    ...(options.tuning && { tuning: options.tuning }),
  });
  const publicUrl = options.publicUrl?.replace(/\/$/, "") ?? null;
  const subscriptions = createSubscriptionKeeper({
    db,
    queue,
    call,
    providers,
    envelope,
    plan,
    publicUrl: () => publicUrl,
  });

  /** Registrations that were waiting for the webinar to exist go to the provider now. */
  async function onProvisioned(webinarId: string) {
    await db.transaction().execute(async (trx) => {
      const webinar = await trx
        .selectFrom("webinars")
        .selectAll()
        .where("id", "=", webinarId)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto("registration_syncs")
        .columns(["registration_id", "webinar_id", "organization_id", "configuration_id", "updated_at"])
        .expression(
          trx
            .selectFrom("registrations as r")
            .innerJoin("webinars as w", "w.event_id", "r.event_id")
            .select(["r.id", "w.id as webinar_id", "r.organization_id", "w.configuration_id"])
            .select(sql<Date>`now()`.as("updated_at"))
            .where("w.id", "=", webinar.id)
            .where("r.status", "=", "registered")
            .where(webinarOfRegistration),
        )
        .onConflict((oc) => oc.columns(["registration_id", "webinar_id"]).doNothing())
        .execute();
      const pending = await trx
        .selectFrom("registration_syncs")
        .select("registration_id")
        .where("webinar_id", "=", webinarId)
        .where("state", "=", "pending")
        .execute();
      await queue.sendMany(
        trx,
        "registration.sync",
        pending.map((p) => ({ registrationId: p.registration_id, webinarId })),
      );
      const config = await trx
        .selectFrom("webinar_configurations")
        .select("provider")
        .where("id", "=", webinar.configuration_id)
        .executeTakeFirst();
      if (config && providers[config.provider as ProviderKind]?.subscribe)
        await queue.send(trx, "webhook.subscription", { webinarId });
      const timing = await loadWebinar(trx, webinarId);
      const first = timing ? nextPollInSeconds(plan, timing.starts_at, timing.ends_at) : null;
      if (first !== null) {
        await queue.send(
          trx,
          "metrics.poll",
          { webinarId },
          { startAfterSeconds: first, singletonKey: `metrics:${webinarId}` },
        );
      }
    });
  }

  const people = deps.people ?? createPeopleMatcher({ contacts });
  const reconciler = createReconciler({
    db,
    queue,
    call,
    providers,
    people,
    apply:
      deps.applyProviderEvents ??
      (async () => {
        throw new Error("reconciliation needs the provider-event applier (createSyncWorker deps)");
      }),
    ...(options.reconcilePlan && { plan: options.reconcilePlan }),
  });

  const handlers = {
    "webinar.sync": createWebinarSyncHandler({
      db,
      queue,
      call,
      maxAttempts,
      onProvisioned,
      lease,
      emitWebhookEvent,
      backoff,
    }),
    "registration.sync": createRegistrationSyncHandler({
      db,
      queue,
      call,
      maxAttempts,
      providers,
      lease,
      emitWebhookEvent,
      backoff,
      logger,
      pool: () => {
        const pool = database.pool;
        return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
      },
    }),
    "metrics.poll": createMetricsPollHandler({ db, queue, call, contacts, plan, emitWebhookEvent }),
    "person.erase": createPersonEraseHandler({ db, queue, call, envelope, logger, lease }),
    "webhook.subscription": subscriptions.handle,
    "webinar.reconcile": reconciler.handle,
  };
  // Registration sync is where the volume is; the other kinds are a few per webinar. The three
  // leased kinds get a lane for work handed back from a dead worker (src/jobs/lease.ts).
  const concurrency = options.concurrency ?? 8;
  const workers: Pick<JobWorkers, keyof typeof handlers> = {
    "webinar.sync": { concurrency: 2, handedBack: 1, handle: handlers["webinar.sync"] },
    "registration.sync": {
      concurrency,
      handedBack: Math.ceil(concurrency / 2),
      startTiming: true,
      handle: handlers["registration.sync"],
    },
    "metrics.poll": { concurrency: 2, handle: handlers["metrics.poll"] },
    "person.erase": { concurrency: 2, handedBack: 1, handle: handlers["person.erase"] },
    "webhook.subscription": { concurrency: 2, handle: handlers["webhook.subscription"] },
    "webinar.reconcile": { concurrency: 1, handle: handlers["webinar.reconcile"] },
  };

  return {
    handlers,
    queue,
    /** The matching of provider people to registrations, shared with webhook ingestion. */
    people,
    /** Reconciliation runs: requested from the API, swept on the schedule (src/workers.ts). */
    reconciler,
    subscriptions,
    /** This module's part of the process's job workers (src/workers.ts registers them all). */
    workers,
    /** Hands work whose lease lapsed (its holder died) to live workers; runs beside the workers. */
    startSweeper() {
      liveness?.start();
      sweeper.start((error) => logger?.warn({ err: error }, "lease sweep failed; trying again"));
    },
    /** Starts only the sync workers and the sweeper: for tests that need no other job kind. */
    async start() {
      // Before the workers, so every claim names this process (see src/workers.ts).
      this.startSweeper();
      await startWorkers(queue, workers);
    },
    /** Stops the lease sweeper (the queue's workers stop with the queue). */
    async stop() {
      await sweeper.stop();
      await liveness?.stop();
    },
    /** One sweep now (tests). */
    sweepLeases: () => sweeper.sweep(),
  };
}
