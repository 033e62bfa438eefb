import { type JobQueue, recurringJob } from "../../jobs/queue.ts";
import type { Logger } from "../../lib/logger.ts";
import type { RegistrationService } from "./registrations.service.ts";

const INTERVAL_SECONDS = 900;

/**
 * Double opt-in's clean-up: every 15 minutes, registrations whose confirmation link lapsed
 * are deleted (double-opt-in.ts). The lapsed link already fails on its own (the confirm step
 * checks the time); the sweep only stops keeping an unconfirmed person. One job at a time
 * (singleton); each run queues the next.
 */
export function createUnconfirmedSweepJob(deps: {
  queue: JobQueue;
  registrations: Pick<RegistrationService, "expireUnconfirmed">;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
}) {
  const { queue, registrations, logger, db } = deps;
  return recurringJob(queue, db, "registration.expire", async () => {
    const deleted = await registrations.expireUnconfirmed();
    if (deleted > 0) logger.info({ deleted }, "unconfirmed registrations expired");
    return INTERVAL_SECONDS;
  });
}
