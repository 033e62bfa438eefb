import { type JobQueue, recurringJob } from "../../../jobs/queue.ts";
import { uuidv7 } from "../../../lib/ids.ts";
import type { Logger } from "../../../lib/logger.ts";
import type { Reconciler } from "./reconcile.ts";

/**
 * The reconciliation schedule: every few minutes (ReconcilePlan.sweepSeconds) a run is queued
 * for each webinar that is due, so registrations and cancellations made at the provider come
 * back within the plan's interval even when the provider sends no webhook. One sweep at a time
 * (singleton); each queues the next.
 */
export function createReconcileSweepJob(deps: {
  queue: JobQueue;
  reconciler: Pick<Reconciler, "sweep" | "plan">;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
}) {
  const { queue, reconciler, logger, db } = deps;
  return recurringJob(queue, db, "webinar.reconcile_sweep", async () => {
    const queued = await reconciler.sweep(uuidv7);
    if (queued > 0) logger.info({ queued }, "webinar reconciliations queued");
    return reconciler.plan.sweepSeconds;
  });
}
