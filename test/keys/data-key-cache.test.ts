import assert from "node:assert/strict";
import { test } from "node:test";
import { createDataKeyCache } from "../../src/keys/index.ts";

test("data keys are cached per organization, for a bounded time and number of uses, and zeroed on eviction", () => {
  let now = 0;
  const cache = createDataKeyCache({ ttlMs: 1000, maxUses: 2, maxPerOrganization: 2 }, () => now);
  const key = Buffer.alloc(32, 7);
  cache.put("org-a", "k1", key);
  key.fill(0);
  assert.equal(cache.take("org-b", "k1"), undefined, "another organization never sees it");
  const first = cache.take("org-a", "k1");
  assert.deepEqual(first, Buffer.alloc(32, 7), "a copy, independent of the caller's buffer");
  first?.fill(0);
  assert.deepEqual(cache.take("org-a", "k1"), Buffer.alloc(32, 7));
  assert.equal(cache.take("org-a", "k1"), undefined, "two uses, then gone");

  cache.put("org-a", "k2", Buffer.alloc(32, 1));
  now = 1000;
  assert.equal(cache.take("org-a", "k2"), undefined, "expired after its time to live");

  const held: Buffer[] = [];
  const spyPut = (k: string, b: Buffer) => {
    cache.put("org-c", k, b);
  };
  spyPut("x", Buffer.alloc(32, 2));
  spyPut("y", Buffer.alloc(32, 3));
  spyPut("z", Buffer.alloc(32, 4));
  assert.equal(
    cache.take("org-c", "x"),
    undefined,
    "the oldest entry left when the organization's cache was full",
  );
  assert.equal(cache.size(), 2);
  held.push(
    ...[cache.take("org-c", "y"), cache.take("org-c", "z")].filter((b): b is Buffer => b !== undefined),
  );
  assert.equal(held.length, 2);
  cache.clear();
  assert.equal(cache.size(), 0);
});

test("evicted keys are zeroed in place", () => {
  const cache = createDataKeyCache({ ttlMs: 10_000, maxUses: 1 });
  cache.put("org", "k", Buffer.alloc(32, 9));
  // Reach the stored buffer through a put-then-inspect: replacing an entry must zero the old one.
  const internal: Buffer[] = [];
  const originalFrom = Buffer.from;
  Buffer.from = ((...args: Parameters<typeof Buffer.from>) => {
    const b = (originalFrom as (...a: unknown[]) => Buffer)(...args);
    internal.push(b);
    return b;
  }) as typeof Buffer.from;
  try {
    cache.put("org", "k2", Buffer.alloc(32, 5));
  } finally {
    Buffer.from = originalFrom;
  }
  const stored = internal.find((b) => b.length === 32 && b[0] === 5);
  assert.ok(stored);
  cache.clear();
  assert.deepEqual(stored, Buffer.alloc(32, 0));
});
