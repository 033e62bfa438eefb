import assert from "node:assert/strict";
import { before, test } from "node:test";
import { loadConfig } from "../../src/config/env.ts";
import { publishedEvent } from "../helpers/events.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";

// One proxy of our own in front: the client is the address that proxy appended (the rightmost
// X-Forwarded-For entry), never what the client wrote to the left of it.
testEnv.AUDITORIUM_PUBLIC_RATE_LIMIT = "3";
testEnv.AUDITORIUM_TRUST_PROXY = "true";

test("AUDITORIUM_TRUST_PROXY takes a hop count or proxy addresses, and names itself when wrong", () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ AUDITORIUM_TRUST_PROXY: "false" }).trustProxy, false);
  assert.equal(loadConfig({ AUDITORIUM_TRUST_PROXY: "true" }).trustProxy, 1);
  assert.equal(loadConfig({ AUDITORIUM_TRUST_PROXY: "2" }).trustProxy, 2);
  assert.deepEqual(loadConfig({ AUDITORIUM_TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }).trustProxy, [
    "10.0.0.0/8",
    "127.0.0.1",
  ]);
  assert.throws(() => loadConfig({ AUDITORIUM_TRUST_PROXY: "everyone" }), /AUDITORIUM_TRUST_PROXY/);
  assert.throws(() => loadConfig({ AUDITORIUM_TRUST_PROXY: "10.0.0.0/33" }), /AUDITORIUM_TRUST_PROXY/);
});

forEachBackend("trusted proxy hops", (ctx) => {
  let org: TestOrg;
  let slug: string;
  before(async () => {
    org = await ctx.createOrg();
    ({ slug } = await publishedEvent(ctx, org, { title: "Behind a proxy" }));
  });

  test("a forged leftmost X-Forwarded-For does not give a fresh rate-limit bucket", async () => {
    const get = (forged: string) =>
      ctx.request("GET", `/api/v1/public/events/${slug}`, {
        remoteAddress: "10.0.0.2", // our proxy
        headers: { "x-forwarded-for": `${forged}, 203.0.113.9` },
      });
    for (let i = 0; i < 3; i++) assert.equal((await get(`198.51.100.${i}`)).status, 200);
    const limited = await get("198.51.100.77");
    assert.equal(limited.status, 429, "a new forged address must not reset the client's allowance");
    // Another real client behind the same proxy keeps its own allowance.
    const other = await ctx.request("GET", `/api/v1/public/events/${slug}`, {
      remoteAddress: "10.0.0.2",
      headers: { "x-forwarded-for": "203.0.113.10" },
    });
    assert.equal(other.status, 200);
  });
});
