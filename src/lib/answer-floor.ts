/**
 * Answers in the same time whatever the work behind them was. A route whose work depends on
 * something the caller must not learn (does this address have an account, a registration, an
 * erasure?) answers no sooner than a floor. A fixed floor leaks as soon as the machine is
 * loaded enough for the work to take longer than it; so the floor also follows the load: it is
 * the `quantile` of the recent answers' work time over every caller (of every kind), and each
 * answer waits until then. Under any load, most answers of every kind leave at that floor; only
 * the slowest tail shows its own time. The floor depends on other callers' work, never on
 * this caller's input.
 */
export interface AnswerFloorOptions {
  /** The least time an answer takes. */
  minMs: number;
  /** Never wait longer than this in all (a floor driven up by a stall must not hold every answer). */
  maxMs: number;
  /** Which quantile of recent work times the floor follows (default 0.9). */
  quantile?: number;
  /** How many recent work times it remembers (default 200). */
  window?: number;
}

export function createAnswerFloor(options: AnswerFloorOptions) {
  const quantile = options.quantile ?? 0.9;
  const size = options.window ?? 200;
  const recent: number[] = [];
  let next = 0;

  function floorMs(): number {
    if (recent.length === 0) return options.minMs;
    const sorted = [...recent].sort((a, b) => a - b);
    const at = sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0;
    return Math.min(options.maxMs, Math.max(options.minMs, at));
  }

  return {
    /** Runs `work` and answers (or throws) no sooner than the floor. */
    async run<T>(work: () => Promise<T>): Promise<T> {
      const started = performance.now();
      try {
        return await work();
      } finally {
        const took = performance.now() - started;
        recent[next] = took;
        next = (next + 1) % size;
        const left = floorMs() - took;
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      }
    },
    floorMs,
  };
}
