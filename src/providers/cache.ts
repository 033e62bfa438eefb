/** A small TTL cache with a size cap (oldest entry evicted), for per-event ON24 lookups. */
import { ProviderError } from "./contract.ts";

/** How long an event's audience URL / registration fields / registrant names are reused. */
export const EVENT_CACHE_TTL_MS = 10 * 60_000;
export const NAMES_CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX_ENTRIES = 500;

export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; expires: number }>();
  constructor(private readonly ttlMs: number) {}
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
  }
}

/**
 * `read()` once per key while cached. A refusal (`forbidden`: ON24 withholds some per-event
 * reads from accounts below its Elite tier) caches `whenForbidden` instead, so the refused
 * read is not asked again on every call; any other failure throws and caches nothing.
 */
export async function cachedRead<V>(
  cache: TtlCache<V>,
  key: string,
  whenForbidden: V,
  read: () => Promise<V>,
): Promise<V> {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let value: V;
  try {
    value = await read();
  } catch (err) {
    if (!(err instanceof ProviderError && err.kind === "forbidden")) throw err;
    value = whenForbidden;
  }
  cache.set(key, value);
  return value;
}
