/**
 * Exponential back-off with "equal jitter": the delay ceiling doubles with each attempt up
 * to `capSeconds`, and the delay is drawn from the upper half below that ceiling. So waits
 * grow (attempt n+1 never waits less than attempt n's ceiling), retries of many jobs that
 * failed together spread out instead of arriving in step, and no wait exceeds the cap —
 * jitter is applied below the cap, never on top of it.
 */
export function backoffSeconds(
  attempts: number,
  capSeconds: number,
  random: () => number = Math.random,
): number {
  // 2^n stops growing well before it could overflow; the cap takes over long before that.
  const ceiling = Math.min(capSeconds, 2 ** Math.min(Math.max(attempts, 0), 30));
  return ceiling / 2 + (ceiling / 2) * random();
}
