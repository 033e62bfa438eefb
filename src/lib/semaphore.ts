import { AppError } from "./errors.ts";

/** A 503 that says when to try again: the work is refused, not failed. */
export class BusyError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(503, "busy", "The server is busy; try again shortly", { retryable: true });
  }
}

/**
 * At most `max` holders at once; a caller waits up to `maxWaitMs` for a slot and is then
 * refused with a `BusyError`, so a burst queues briefly instead of piling up memory. In
 * process: what it protects (memory, CPU) is per process too.
 */
export function createSemaphore(options: { max: number; maxWaitMs: number }) {
  let active = 0;
  let peak = 0;
  let granted = 0;
  const waiting: (() => void)[] = [];

  function take() {
    active += 1;
    granted += 1;
    peak = Math.max(peak, active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active -= 1;
      waiting.shift()?.();
    };
  }

  return {
    async acquire(): Promise<() => void> {
      if (active < options.max) return take();
      return new Promise((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer);
          resolve(take());
        };
        const timer = setTimeout(() => {
          const at = waiting.indexOf(wake);
          if (at >= 0) waiting.splice(at, 1);
          reject(new BusyError(Math.max(1, Math.ceil(options.maxWaitMs / 1000))));
        }, options.maxWaitMs);
        waiting.push(wake);
      });
    },
    /** Holders now, the most ever at once, slots ever granted, callers waiting: for metrics and tests. */
    stats: () => ({ active, peak, granted, waiting: waiting.length }),
  };
}

export type Semaphore = ReturnType<typeof createSemaphore>;
