/**
 * Unwrapped data keys kept so that a burst of provider calls does not unwrap the same key
 * (a KEK round trip — an HSM or a cloud call) every time. Bounded three ways: time to live,
 * uses per key, and entries per organization. Keys are held per organization, handed out
 * as copies (the caller zeroes its copy), and zeroed when they leave the cache.
 */
export interface DataKeyCache {
  /** A copy of the cached key, or undefined; counts one use. */
  take(organizationId: string, key: string): Buffer | undefined;
  /** Caches a copy of `dataKey`. */
  put(organizationId: string, key: string, dataKey: Buffer): void;
  /** Zeroes and drops everything (key rotation, shutdown). */
  clear(): void;
  size(): number;
}

interface Entry {
  dataKey: Buffer;
  expiresAt: number;
  usesLeft: number;
}

export function createDataKeyCache(
  options: { ttlMs?: number; maxUses?: number; maxPerOrganization?: number } = {},
  now: () => number = Date.now,
): DataKeyCache {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const maxUses = options.maxUses ?? 1000;
  const maxPerOrganization = options.maxPerOrganization ?? 256;
  const byOrganization = new Map<string, Map<string, Entry>>();

  const evict = (entries: Map<string, Entry>, key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entry.dataKey.fill(0);
    entries.delete(key);
  };

  return {
    take(organizationId, key) {
      const entries = byOrganization.get(organizationId);
      const entry = entries?.get(key);
      if (!entries || !entry) return undefined;
      if (entry.expiresAt <= now() || entry.usesLeft <= 0) {
        evict(entries, key);
        return undefined;
      }
      entry.usesLeft -= 1;
      const copy = Buffer.from(entry.dataKey);
      if (entry.usesLeft === 0) evict(entries, key);
      return copy;
    },
    put(organizationId, key, dataKey) {
      let entries = byOrganization.get(organizationId);
      if (!entries) {
        entries = new Map();
        byOrganization.set(organizationId, entries);
      }
      evict(entries, key);
      // Oldest first out (Map keeps insertion order).
      while (entries.size >= maxPerOrganization) {
        const oldest = entries.keys().next().value as string;
        evict(entries, oldest);
      }
      entries.set(key, { dataKey: Buffer.from(dataKey), expiresAt: now() + ttlMs, usesLeft: maxUses });
    },
    clear() {
      for (const entries of byOrganization.values())
        for (const key of [...entries.keys()]) evict(entries, key);
      byOrganization.clear();
    },
    size() {
      let n = 0;
      for (const entries of byOrganization.values()) n += entries.size;
      return n;
    },
  };
}
