/**
 * How much room the rate limiter leaves for requests that reach the provider later than their
 * slot. A request paced for second t may be sent at t + L; a provider counting in one-second
 * windows can then see the slots of 1 + L seconds in one window. The bucket is shaped for the
 * lateness this controller reports (see bucketRate), so the room follows what this process
 * actually measures instead of a fixed guess: a quiet machine (timers a millisecond late)
 * gives up well under 1 % of the quota, a loaded one (timers tens of milliseconds late) keeps
 * the room it needs to stay under quota.
 *
 * The allowance is the spread of "sent less slot" over a sliding window (latest less earliest,
 * so the offset between this process's clock and the database's cancels out), plus a fixed
 * allowance for the way from the wake-up to the socket (which we do not measure), within
 * bounds. It widens at once on one late sample and narrows only as that sample leaves the
 * window, so one quiet moment on a busy machine does not shrink the room. A quota answer
 * widens it to the upper bound for a window: the room was too small, whatever the timers said.
 *
 * The clock is injected so the controller is tested without timers.
 */
export interface LatenessAllowanceOptions {
  /** How long a sample counts (ms). */
  windowMs?: number;
  /** Added to the measured lateness: the way from the timer to the provider (ms). */
  pathMs?: number;
  minMs?: number;
  maxMs?: number;
  /** The allowance before the first window has been measured: the fixed room of before (ms). */
  initialMs?: number;
  now?: () => number;
}

export const LATENESS_DEFAULTS = {
  windowMs: 10_000,
  pathMs: 3,
  minMs: 5,
  maxMs: 60,
  initialMs: 30,
} as const;

export interface LatenessAllowance {
  /**
   * One permit used: when it was sent (this process's clock) less its slot (the database's
   * clock), in ms. A constant difference (the clocks' offset, a steady round trip) moves every
   * request alike and keeps their spacing; only the spread of these samples makes requests
   * bunch into one provider window.
   */
  record(sentLessSlotMs: number): void;
  /** The provider refused for quota: widen to the upper bound for one window. */
  quotaAnswered(): void;
  /** The room to leave, in ms of lateness. */
  allowanceMs(): number;
  /**
   * How late a request about to be sent `sentLessSlotMs` after its slot is, beyond the
   * earliest of the window's samples (the clocks' offset and the shortest way back from the
   * database); 0 before any sample.
   */
  lateBy(sentLessSlotMs: number): number;
}

/** The extreme of the samples in a sliding window: a monotonic queue, each sample pushed and dropped once. */
function slidingExtreme(keeps: (older: number, newer: number) => boolean) {
  const queue: { at: number; value: number }[] = [];
  let head = 0;
  return {
    push(at: number, value: number) {
      while (queue.length > head && !keeps(queue[queue.length - 1]?.value ?? 0, value)) queue.pop();
      queue.push({ at, value });
    },
    /** The extreme of the samples after `oldest`, or undefined when there are none. */
    value(oldest: number): number | undefined {
      while (head < queue.length && (queue[head]?.at ?? 0) <= oldest) head++;
      // Compact now and then so the array does not grow with the process.
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      return queue[head]?.value;
    },
  };
}

export function createLatenessAllowance(options: LatenessAllowanceOptions = {}): LatenessAllowance {
  const o = { ...LATENESS_DEFAULTS, ...options };
  const now = options.now ?? Date.now;
  const latest = slidingExtreme((older, newer) => older > newer);
  const earliest = slidingExtreme((older, newer) => older < newer);
  let firstSampleAt: number | undefined;
  let widenedUntil = Number.NEGATIVE_INFINITY;

  return {
    record(sentLessSlotMs) {
      if (!Number.isFinite(sentLessSlotMs)) return;
      const at = now();
      firstSampleAt ??= at;
      latest.push(at, sentLessSlotMs);
      earliest.push(at, sentLessSlotMs);
    },
    quotaAnswered() {
      widenedUntil = now() + o.windowMs;
    },
    lateBy(sentLessSlotMs) {
      const min = earliest.value(now() - o.windowMs);
      return min === undefined ? 0 : Math.max(0, sentLessSlotMs - min);
    },
    allowanceMs() {
      const at = now();
      if (at < widenedUntil) return o.maxMs;
      const oldest = at - o.windowMs;
      const max = latest.value(oldest);
      const min = earliest.value(oldest);
      // Until one window has been measured the spread is not known: keep the fixed room of before.
      const measuring = firstSampleAt === undefined || at - firstSampleAt < o.windowMs;
      const spread = max === undefined || min === undefined ? o.initialMs : max - min + o.pathMs;
      const room = measuring ? Math.max(o.initialMs, spread) : spread;
      return Math.min(o.maxMs, Math.max(o.minMs, room));
    },
  };
}
