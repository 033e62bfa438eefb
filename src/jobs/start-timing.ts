import type { Logger } from "../lib/logger.ts";
import type { JobMeta } from "./queue.ts";

/** A job that takes longer than this from its fetch to its claim is logged as a warning. */
export const SLOW_START_MS = 2000;

/** What the connection pool looked like, for a slow start (server PostgreSQL only). */
export type PoolUsage = () => { total: number; idle: number; waiting: number } | undefined;

/**
 * How long a leased job took from its fetch (pg-boss's `started_on`, the database's clock) to
 * each step before its claim: handler entry, the row read, the claim. Work handed back from a
 * dead worker is fetched within a poll of its release; this says where it waited after that
 * (docs/webinars.md, "Leases"). One debug line per job; a warning when the claim came later
 * than `SLOW_START_MS`, or has not come by then (a job stuck before its claim never ends).
 * Ids and milliseconds only: no personal data.
 */
export function startTiming(logger: Logger | undefined, job: string, meta: JobMeta, pool?: PoolUsage) {
  sampleLoop();
  const fetchedAt = meta.fetchedAt ?? Date.now();
  const entryMs = Date.now() - fetchedAt;
  const marks: Record<string, number> = { entryMs };
  let ended = false;
  const fields = () => ({
    job,
    jobId: meta.id,
    pid: process.pid,
    priority: meta.priority,
    ...marks,
    pool: pool?.(),
    loopStallMs: loopStallSince(fetchedAt),
  });
  const watchdog = logger
    ? setTimeout(
        () => {
          if (!ended)
            logger.warn(
              { ...fields(), nowMs: Date.now() - fetchedAt },
              "leased job not claimed 2 s after its fetch",
            );
        },
        Math.max(0, SLOW_START_MS - entryMs),
      )
    : null;
  watchdog?.unref();
  return {
    /** The job reached `name` (a step before its claim). */
    step(name: string) {
      marks[`${name}Ms`] = Date.now() - fetchedAt;
    },
    /** The job claimed its row or found nothing to claim (`outcome`): its start is over. */
    end(outcome: string) {
      if (ended) return;
      ended = true;
      if (watchdog) clearTimeout(watchdog);
      const totalMs = Date.now() - fetchedAt;
      if (!logger) return;
      const line = { ...fields(), outcome, totalMs };
      if (totalMs > SLOW_START_MS) logger.warn(line, "leased job slow from fetch to claim");
      else logger.debug(line, "leased job from fetch to claim");
    },
  };
}

/**
 * Event-loop stalls, sampled every 100 ms once a job has been timed: a blocked loop delays
 * every handler at once, which the pool counts alone would not show. Keeps the last minute.
 */
const SAMPLE_MS = 100;
const stalls: { at: number; ms: number }[] = [];
let sampler: NodeJS.Timeout | null = null;
function sampleLoop() {
  if (sampler) return;
  let last = Date.now();
  sampler = setInterval(() => {
    const now = Date.now();
    const late = now - last - SAMPLE_MS;
    last = now;
    if (late > 50) stalls.push({ at: now, ms: late });
    while (stalls.length > 0 && (stalls[0]?.at ?? now) < now - 60_000) stalls.shift();
  }, SAMPLE_MS);
  sampler.unref();
}
/** Milliseconds the event loop stood still since `since` (as far as the samples go back). */
const loopStallSince = (since: number) =>
  stalls.filter((s) => s.at >= since).reduce((sum, s) => sum + s.ms, 0);
