import type { Logger } from "../lib/logger.ts";
import type { RegistrationService } from "../modules/registrations/registrations.service.ts";
import type { JobQueue } from "./queue.ts";

const INTERVAL_SECONDS = 900;

/**
 * Double opt-in's clean-up: every 15 minutes, registrations whose confirmation link lapsed
 * are deleted (registrations/double-opt-in.ts). The lapsed link already fails on its own
 * (the confirm step checks the time); the sweep only stops keeping an unconfirmed person.
 * One job at a time (singleton); each run queues the next.
 */
export async function startUnconfirmedSweepWorker(deps: {
  queue: JobQueue;
  registrations: Pick<RegistrationService, "expireUnconfirmed">;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
}) {
  const { queue, registrations, logger, db } = deps;
  const again = (seconds: number) =>
    queue.send(
      db,
      "registration.expire",
      {},
      { startAfterSeconds: seconds, singletonKey: "registration.expire" },
    );
  await queue.work("registration.expire", { concurrency: 1 }, async () => {
    const deleted = await registrations.expireUnconfirmed();
    if (deleted > 0) logger.info({ deleted }, "unconfirmed registrations expired");
    await again(INTERVAL_SECONDS);
  });
  await again(0);
}
