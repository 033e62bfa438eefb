import type { Logger } from "../lib/logger.ts";
import type { Reminders } from "../modules/registrations/reminders.ts";
import type { JobQueue } from "./queue.ts";

const INTERVAL_SECONDS = 60;

/**
 * Registrant reminders and follow-ups (registrations/reminders.ts): every minute, what is due is sent.
 * One job at a time (singleton); each run queues the next. A reminder is at most a minute
 * late; a missed run (all workers down) sends what fell due meanwhile, once, as long as the
 * event has not started.
 */
export async function startReminderSweepWorker(deps: {
  queue: JobQueue;
  reminders: Pick<Reminders, "sendDue" | "sendFollowUps">;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
}) {
  const { queue, reminders, logger, db } = deps;
  const again = (seconds: number) =>
    queue.send(
      db,
      "registration.remind",
      {},
      { startAfterSeconds: seconds, singletonKey: "registration.remind" },
    );
  await queue.work("registration.remind", { concurrency: 1 }, async () => {
    const sent = await reminders.sendDue();
    const followUps = await reminders.sendFollowUps();
    if (sent + followUps > 0) logger.info({ sent, followUps }, "registrant reminders and follow-ups queued");
    await again(INTERVAL_SECONDS);
  });
  await again(0);
}
