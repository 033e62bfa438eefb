import { AppError } from "./errors.ts";

/** A 429 that knows when the window ends, so the answer can carry an exact `retry-after`. */
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, "rate_limited", `Too many requests; retry in ${retryAfterSeconds} s`, { retryable: true });
  }
}

/**
 * A fixed-window counter per key (the client address). In memory: each API process limits
 * on its own, which bounds the total at processes × max — acceptable for abuse control.
 */
export function createRateLimiter(options: { max: number; windowMs: number }, now = () => Date.now()) {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = now();

  return {
    hit(key: string) {
      const t = now();
      if (t - lastSweep > options.windowMs) {
        for (const [k, w] of windows) if (t - w.start >= options.windowMs) windows.delete(k);
        lastSweep = t;
      }
      let w = windows.get(key);
      if (!w || t - w.start >= options.windowMs) {
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      w.count += 1;
      if (w.count > options.max) {
        throw new RateLimitedError(Math.max(1, Math.ceil((w.start + options.windowMs - t) / 1000)));
      }
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
