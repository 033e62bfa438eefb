import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cachedRead, TtlCache } from "../../src/providers/cache.ts";
import { ProviderError } from "../../src/providers/contract.ts";

/**
 * The ON24 per-event reads that accounts below Elite are refused (registration fields, the
 * registrant list that names attendees) go through `cachedRead`: a refusal is remembered as
 * the fallback, anything else fails the call and is asked again next time.
 */
describe("cachedRead", () => {
  const counting = <V>(answer: () => V) => {
    const calls = { n: 0 };
    const read = async () => {
      calls.n++;
      return answer();
    };
    return { calls, read };
  };

  test("a value is read once and then served from the cache", async () => {
    const cache = new TtlCache<string[] | null>(60_000);
    const { calls, read } = counting(() => ["email"]);
    assert.deepEqual(await cachedRead(cache, "k", null, read), ["email"]);
    assert.deepEqual(await cachedRead(cache, "k", null, read), ["email"]);
    assert.equal(calls.n, 1);
  });

  test("forbidden answers the fallback and caches it (null included), so the refusal is not asked again", async () => {
    const cache = new TtlCache<string[] | null>(60_000);
    const { calls, read } = counting((): string[] => {
      throw new ProviderError("forbidden", "not an Elite account");
    });
    assert.equal(await cachedRead(cache, "k", null, read), null);
    assert.equal(await cachedRead(cache, "k", null, read), null);
    assert.equal(calls.n, 1);
  });

  test("any other failure throws and caches nothing", async () => {
    const cache = new TtlCache<string[] | null>(60_000);
    for (const kind of ["quota", "transient", "not_found"] as const) {
      const { calls, read } = counting((): string[] => {
        throw new ProviderError(kind, kind);
      });
      await assert.rejects(
        cachedRead(cache, kind, null, read),
        (err) => (err as ProviderError).kind === kind,
      );
      await assert.rejects(cachedRead(cache, kind, null, read));
      assert.equal(calls.n, 2, `${kind} was cached`);
    }
  });

  test("callers that miss the same key while it is read share one read", async () => {
    const cache = new TtlCache<string[] | null>(60_000);
    let release: (v: string[]) => void = () => {};
    const calls = { n: 0 };
    const read = () => {
      calls.n++;
      return new Promise<string[]>((r) => {
        release = r;
      });
    };
    const waiting = Array.from({ length: 5 }, () => cachedRead(cache, "k", null, read));
    release(["email"]);
    for (const value of await Promise.all(waiting)) assert.deepEqual(value, ["email"]);
    assert.equal(calls.n, 1);
    assert.deepEqual(await cachedRead(cache, "k", null, read), ["email"]);
    assert.equal(calls.n, 1);
  });

  test("a shared read that fails fails every caller that shared it, and the next call reads again", async () => {
    const cache = new TtlCache<string>(60_000);
    let calls = 0;
    const failing = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      throw new ProviderError("transient", "503");
    };
    const results = await Promise.allSettled([cache.load("k", failing), cache.load("k", failing)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["rejected", "rejected"],
    );
    assert.equal(calls, 1);
    assert.equal(await cache.load("k", async () => "fresh"), "fresh");
  });

  test("a key cleared while it is read is not cached with the old answer", async () => {
    const cache = new TtlCache<string>(60_000);
    let release: (v: string) => void = () => {};
    const reading = cache.load("event:1:", () => new Promise<string>((r) => (release = r)));
    cache.deletePrefix("event:1:");
    release("before the change");
    assert.equal(await reading, "before the change");
    assert.equal(cache.get("event:1:"), undefined);
    assert.equal(await cache.load("event:1:", async () => "after"), "after");
  });
});
