import type { SecretRecords } from "../keys/secret-records.ts";
import type { Logger } from "../lib/logger.ts";
import { type JobQueue, recurringJob } from "./queue.ts";

const BATCH = 100;
const BATCHES_PER_RUN = 20;
const IDLE_CHECK_SECONDS = 600;

/**
 * The background half of key rotation: after a new KEK version (or a new provider) is
 * configured, records move to it in bounded batches without anyone running a command.
 * One job at a time (singleton); each run does a bounded amount of work and re-queues itself.
 */
export function createKeyRewrapJob(deps: {
  queue: JobQueue;
  secretRecords: SecretRecords;
  logger: Logger;
  db: Parameters<JobQueue["send"]>[0];
}) {
  const { queue, secretRecords, logger, db } = deps;
  return recurringJob(queue, db, "keys.rewrap", async () => {
    let moved = 0;
    let remaining = 0;
    for (let i = 0; i < BATCHES_PER_RUN; i++) {
      const result = await secretRecords.rewrapBatch(BATCH);
      moved += result.moved;
      remaining = result.remaining;
      if (remaining === 0 || result.moved === 0) break;
    }
    if (moved > 0) logger.info({ moved, remaining }, "secrets rewrapped to the current key-encryption key");
    return remaining > 0 ? 1 : IDLE_CHECK_SECONDS;
  });
}
