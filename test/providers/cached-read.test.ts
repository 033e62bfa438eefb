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
});
