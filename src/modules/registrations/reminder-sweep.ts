import { type JobQueue, type JobWorker, recurringJob } from "../../jobs/queue.ts";
import type { Logger } from "../../lib/logger.ts";
import type { EventNotices } from "./event-notices.ts";
import type { Reminders } from "./reminders.ts";

const INTERVAL_SECONDS = 60;

/**
 * Registrant reminders and follow-ups (reminders.ts): every minute, what is due is sent. One
 * job at a time (singleton); each run queues the next. A reminder is at most a minute late; a
 * missed run (all workers down) sends what fell due meanwhile, once, as long as the event has
 * not started.
 */
export function createReminderSweepJob(deps: {
  queue: JobQueue;
  reminders: Pick<Reminders, "sendDue" | "sendFollowUps">;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
}) {
  const { queue, reminders, logger, db } = deps;
  return recurringJob(queue, db, "registration.remind", async () => {
    const sent = await reminders.sendDue();
    const followUps = await reminders.sendFollowUps();
    if (sent + followUps > 0) logger.info({ sent, followUps }, "registrant reminders and follow-ups queued");
    return INTERVAL_SECONDS;
  });
}

/** Runs the reschedule and event-cancellation notices the events hooks queued (event-notices.ts). */
export function eventNoticesWorker(deps: {
  eventNotices: Pick<EventNotices, "run">;
  logger: Logger;
}): JobWorker<"registration.event_changed"> {
  return {
    concurrency: 2,
    async handle(data) {
      const sent = await deps.eventNotices.run(data.eventId);
      if (sent > 0) deps.logger.info({ sent }, "registrant notices of an event change queued");
    },
  };
}
