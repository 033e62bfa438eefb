import type { Services } from "./app.ts";
import type { Db } from "./db/database.ts";
import { createKeyRewrapJob } from "./jobs/keys-rewrap.ts";
import { type JobWorkers, startWorkers } from "./jobs/queue.ts";
import type { Logger } from "./lib/logger.ts";
import { createRetentionSweepJob } from "./modules/privacy/retention-sweep.ts";
import { createReminderSweepJob, eventNoticesWorker } from "./modules/registrations/reminder-sweep.ts";
import { createUnconfirmedSweepJob } from "./modules/registrations/unconfirmed-sweep.ts";
import { createReconcileSweepJob } from "./modules/webinars/sync/reconcile-sweep.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Every job kind a worker process runs, in one exhaustive record: a new job name fails the
 * build here until something handles it. Modules define their workers (the sync engine, the
 * email sender); this is the only place that puts them on the queue, with the recurring jobs'
 * first runs.
 */
export function createJobWorkers(deps: { runtime: Runtime; services: Services; logger: Logger; db: Db }) {
  const { runtime, services, logger, db } = deps;
  const { queue } = runtime;
  const keyRewrap = createKeyRewrapJob({ queue, secretRecords: runtime.secretRecords, logger, db });
  const retentionSweep = createRetentionSweepJob({
    queue,
    retention: services.retention,
    logger,
    db,
    sweepWebhookHistory: services.sweepWebhookHistory,
  });
  const unconfirmedSweep = createUnconfirmedSweepJob({
    queue,
    registrations: services.registrations,
    logger,
    db,
  });
  const reminderSweep = createReminderSweepJob({ queue, reminders: services.reminders, logger, db });
  const reconcileSweep = createReconcileSweepJob({
    queue,
    reconciler: services.syncWorker.reconciler,
    logger,
    db,
  });
  const workers = {
    ...services.syncWorker.workers,
    // Without an SMTP server no message is queued for sending (they are kept), so no job comes.
    "email.send": services.emailSender?.worker ?? { concurrency: 1, handle: async () => {} },
    "keys.rewrap": keyRewrap.worker,
    "retention.sweep": retentionSweep.worker,
    "registration.expire": unconfirmedSweep.worker,
    "registration.remind": reminderSweep.worker,
    "registration.event_changed": eventNoticesWorker({ eventNotices: services.eventNotices, logger }),
    "webinar.reconcile_sweep": reconcileSweep.worker,
    "webhook.deliver": services.webhookDelivery.worker,
  } satisfies JobWorkers;
  return {
    workers,
    async start() {
      // Liveness first: a claim made before this process holds its liveness key names no holder,
      // and its death would then free the row only when the lease lapses (src/jobs/liveness.ts).
      services.syncWorker.startSweeper();
      await startWorkers(queue, workers);
      await keyRewrap.schedule();
      await retentionSweep.schedule();
      await unconfirmedSweep.schedule();
      await reminderSweep.schedule();
      await reconcileSweep.schedule();
    },
  };
}
