import type { Caller } from "../../http/auth.ts";

/**
 * Verified API tokens, remembered for a moment (issue 18). Every API request presented its
 * bearer token to the database (a join of the token and its creator's membership): under the
 * intake load that was one statement of every registration's few. A hit here costs a map
 * lookup, keyed by the token's SHA-256 (which the lookup computes anyway; the token itself is
 * not kept).
 *
 * Revocation is respected: in this process at once (revoking a token, changing a member's
 * role or removing a member forgets every entry), in the other processes of
 * `serve --processes N` within `ttlMs` (1 s by default), after which the database is asked
 * again. Entries are few (one per token in use), and bounded all the same.
 */
export function createTokenCache(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const ttlMs = options.ttlMs ?? 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { caller: Caller; until: number }>();
  return {
    get(tokenHash: string): Caller | undefined {
      const entry = entries.get(tokenHash);
      if (!entry) return undefined;
      if (entry.until > performance.now()) return entry.caller;
      entries.delete(tokenHash);
      return undefined;
    },
    set(tokenHash: string, caller: Caller) {
      if (entries.size >= maxEntries) entries.clear();
      entries.set(tokenHash, { caller, until: performance.now() + ttlMs });
    },
    /** After anything that can take a token's rights away. */
    forgetAll() {
      entries.clear();
    },
  };
}

export type TokenCache = ReturnType<typeof createTokenCache>;
