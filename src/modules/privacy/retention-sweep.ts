import { type JobQueue, recurringJob } from "../../jobs/queue.ts";
import type { Logger } from "../../lib/logger.ts";
import type { RetentionService } from "./retention.service.ts";

const INTERVAL_SECONDS = 3600;

/**
 * The scheduled half of retention: once an hour, every organization with a retention period
 * set loses what has outlived it, in bounded batches (retention.service.ts). One job at a
 * time (singleton); each run re-queues the next.
 */
export function createRetentionSweepJob(deps: {
  queue: JobQueue;
  retention: RetentionService;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
  /** Outgoing webhooks' messages and attempts past their period (webhooks-out/history.ts). */
  sweepWebhookHistory?: () => Promise<{ messages: number; attempts: number }>;
}) {
  const { queue, retention, logger, db } = deps;
  return recurringJob(queue, db, "retention.sweep", async () => {
    const results = await retention.sweepAll();
    const swept = results.filter((r) => r.registrations + r.attendance + r.checkIns + r.auditEntries > 0);
    if (swept.length)
      logger.info(
        {
          organizations: swept.length,
          registrations: swept.reduce((n, r) => n + r.registrations, 0),
          attendance: swept.reduce((n, r) => n + r.attendance, 0),
          checkIns: swept.reduce((n, r) => n + r.checkIns, 0),
          auditEntries: swept.reduce((n, r) => n + r.auditEntries, 0),
        },
        "retention sweep deleted expired data",
      );
    // Outgoing webhooks keep their history for an operator-wide period (docs/webhooks-out.md).
    const webhooks = (await deps.sweepWebhookHistory?.()) ?? { messages: 0, attempts: 0 };
    if (webhooks.messages + webhooks.attempts > 0)
      logger.info(webhooks, "retention sweep deleted expired webhook messages and attempts");
    return INTERVAL_SECONDS;
  });
}
