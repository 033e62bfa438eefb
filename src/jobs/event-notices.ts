import type { Logger } from "../lib/logger.ts";
import type { EventNotices } from "../modules/registrations/event-notices.ts";
import type { JobQueue } from "./queue.ts";

/** Runs the reschedule / event-cancellation notices the events hooks queued (registrations/event-notices.ts). */
export async function startEventNoticesWorker(deps: {
  queue: JobQueue;
  eventNotices: Pick<EventNotices, "run">;
  logger: Logger;
}) {
  const { queue, eventNotices, logger } = deps;
  await queue.work("registration.event_changed", { concurrency: 2 }, async (data) => {
    const sent = await eventNotices.run(data.eventId);
    if (sent > 0) logger.info({ sent }, "registrant notices of an event change queued");
  });
}
