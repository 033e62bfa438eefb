/** A small TTL cache with a size cap (oldest entry evicted), for per-event ON24 lookups. */
import { ProviderError } from "./contract.ts";

/** How long an event's audience URL / registration fields / registrant names are reused. */
export const EVENT_CACHE_TTL_MS = 10 * 60_000;
export const NAMES_CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX_ENTRIES = 500;

export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; expires: number }>();
  /** Reads under way, joined by every caller that misses the same key meanwhile. */
  private readonly loading = new Map<string, Promise<V>>();
  constructor(private readonly ttlMs: number) {}

  /**
   * The cached value, or the one read for it: callers that miss the same key while it is read
   * share that one read. A worker starts its jobs together, and without this each of its
   * 25 concurrent registrations asked the provider the same lookup, spending a quota that
   * registrations need (100 extra requests in a drain of 10,000). A failure reaches every
   * caller that shared the read and caches nothing.
   */
  load(key: string, read: () => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const started: Promise<V> = read().then(
      (value) => {
        // Not cached when the key was cleared meanwhile (the event changed or was deleted).
        if (this.finished(key, started)) this.set(key, value);
        return value;
      },
      (error: unknown) => {
        this.finished(key, started);
        throw error;
      },
    );
    this.loading.set(key, started);
    return started;
  }

  /** Forgets `read` as the key's read under way; whether it still was (not cleared meanwhile). */
  private finished(key: string, read: Promise<V>): boolean {
    if (this.loading.get(key) !== read) return false;
    this.loading.delete(key);
    return true;
  }

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: Date.now() + this.ttlMs });
    if (this.map.size > CACHE_MAX_ENTRIES) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
  deletePrefix(prefix: string): void {
    for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
    for (const k of this.loading.keys()) if (k.startsWith(prefix)) this.loading.delete(k);
  }
}

/**
 * `read()` once per key while cached. A refusal (`forbidden`: ON24 withholds some per-event
 * reads from accounts below its Elite tier) caches `whenForbidden` instead, so the refused
 * read is not asked again on every call; any other failure throws and caches nothing.
 */
export function cachedRead<V>(
  cache: TtlCache<V>,
  key: string,
  whenForbidden: V,
  read: () => Promise<V>,
): Promise<V> {
  return cache.load(key, async () => {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof ProviderError && err.kind === "forbidden")) throw err;
      return whenForbidden;
    }
  });
}
