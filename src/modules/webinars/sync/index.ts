import { sql } from "kysely";
import type { DatabaseHandle } from "../../../db/database.ts";
import type { createCallGate } from "../../../jobs/call-gate.ts";
import { createLeaseSweeper, DEFAULT_LEASE, type LeaseTiming } from "../../../jobs/lease.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import { createProviderRateLimiter } from "../../../jobs/rate-limiter.ts";
import type { Envelope } from "../../../keys/index.ts";
import type { Logger } from "../../../lib/logger.ts";
import type { ProviderKind, WebinarProvider } from "../../../providers/contract.ts";
import type { ContactService } from "../../contacts/contacts.service.ts";
import { createPersonEraseHandler } from "../../privacy/erase-handler.ts";
import type { ConfigurationService } from "../configurations.service.ts";
import {
  createMetricsPollHandler,
  DEFAULT_POLL_PLAN,
  loadWebinar,
  nextPollInSeconds,
  type PollPlan,
} from "./metrics-poll.ts";
import { createPeopleMatcher } from "./people.ts";
import { createProviderCaller, DEFAULT_TUNING, type SyncTuning } from "./provider-call.ts";
import { createRegistrationSyncHandler } from "./registration-sync.ts";
import { createSubscriptionKeeper } from "./subscriptions.ts";
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
  logger?: Logger | undefined;
  options?: SyncOptions;
}) {
  const { database, queue, providers, configurations, contacts, gate, envelope, logger } = deps;
  const { db } = database;
  const options = deps.options ?? {};
  const plan = { ...DEFAULT_POLL_PLAN, ...options.pollPlan };
  const maxAttempts = options.tuning?.maxAttempts ?? DEFAULT_TUNING.maxAttempts;
  const lease = options.lease ?? DEFAULT_LEASE;
  const sweeper = createLeaseSweeper({ db, queue, timing: lease });
  const call = createProviderCaller({
    db,
    providers,
    configurations,
    gate,
    limiter: createProviderRateLimiter({ db }),
    ...(options.tuning && { tuning: options.tuning }),
  });
  // Known at construction when the composition root passes it; the HTTP side sets it otherwise.
  let publicUrl: string | null = options.publicUrl ?? null;
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
      await sql`
        INSERT INTO registration_syncs (registration_id, webinar_id, organization_id, configuration_id, updated_at)
        SELECT r.id, ${webinar.id}, r.organization_id, ${webinar.configuration_id}, now()
        FROM registrations r
        WHERE r.event_id = ${webinar.event_id} AND r.status = 'registered'
          AND (${webinar.session_id}::uuid IS NULL
               OR NOT EXISTS (SELECT 1 FROM registration_sessions x WHERE x.registration_id = r.id)
               OR EXISTS (SELECT 1 FROM registration_sessions x WHERE x.registration_id = r.id AND x.session_id = ${webinar.session_id}))
        ON CONFLICT (registration_id, webinar_id) DO NOTHING`.execute(trx);
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

  const handlers = {
    "webinar.sync": createWebinarSyncHandler({ db, queue, call, maxAttempts, onProvisioned, lease }),
    "registration.sync": createRegistrationSyncHandler({ db, queue, call, maxAttempts, providers, lease }),
    "metrics.poll": createMetricsPollHandler({ db, queue, call, contacts, plan }),
    "person.erase": createPersonEraseHandler({ db, queue, call, envelope, logger, lease }),
    "webhook.subscription": subscriptions.handle,
  };

  return {
    handlers,
    queue,
    /** The matching of provider people to registrations, shared with webhook ingestion. */
    people: createPeopleMatcher({ contacts }),
    subscriptions,
    /** Sets the public URL when the composition root did not pass it (see SyncOptions.publicUrl). */
    adoptPublicUrl(url: string) {
      publicUrl ??= url.replace(/\/$/, "");
    },
    async start() {
      const concurrency = options.concurrency ?? 8;
      await queue.work("webinar.sync", { concurrency: 2 }, handlers["webinar.sync"]);
      await queue.work("registration.sync", { concurrency }, handlers["registration.sync"]);
      await queue.work("metrics.poll", { concurrency: 2 }, handlers["metrics.poll"]);
      await queue.work("person.erase", { concurrency: 2 }, handlers["person.erase"]);
      await queue.work("webhook.subscription", { concurrency: 2 }, handlers["webhook.subscription"]);
      // Leased work whose holder died goes to live workers once its lease lapses.
      sweeper.start((error) => logger?.warn({ err: error }, "lease sweep failed; trying again"));
    },
    /** Stops the lease sweeper (the queue's workers stop with the queue). */
    async stop() {
      await sweeper.stop();
    },
    /** One sweep now (tests). */
    sweepLeases: () => sweeper.sweep(),
  };
}
