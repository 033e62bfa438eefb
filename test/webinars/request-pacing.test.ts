import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createProviderRateLimiter, type ProviderRateLimiter } from "../../src/jobs/rate-limiter.ts";
import { createProviderCaller } from "../../src/modules/webinars/sync/provider-call.ts";
import { type ProviderAccount, ProviderError, type WebinarProvider } from "../../src/providers/contract.ts";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, webinarSetup } from "./fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/**
 * The shared rate counts requests, not calls: every HTTP request a provider call makes takes
 * its own slot just before it is sent, and a request whose slot is too far away is not sent
 * at all (the call is deferred, and nothing reaches the provider).
 */
forEachBackend("request pacing", (ctx) => {
  let configId: string;
  let slots: Date[];
  let limiter: ProviderRateLimiter;
  before(async () => {
    const org = await ctx.createOrg("pacing");
    ({ configId } = await webinarSetup(ctx, org));
    const real = createProviderRateLimiter({ db: ctx.database.db });
    limiter = {
      ...real,
      async acquire(id, perSecond, maxWaitMs) {
        const slot = await real.acquire(id, perSecond, maxWaitMs);
        if (slot) slots.push(slot);
        return slot;
      },
    };
  });

  const caller = (requestsPerSecond?: number) =>
    createProviderCaller({
      db: ctx.database.db,
      providers: ctx.services.providers,
      configurations: {
        ...ctx.services.configurations,
        // The configured rate as the account's row says, or a deliberately tiny one.
        loadAccount: async (id) => {
          const loaded = await ctx.services.configurations.loadAccount(id);
          if (loaded && requestsPerSecond) loaded.row.requests_per_second = requestsPerSecond;
          return loaded;
        },
      },
      gate: ctx.runtime.gate,
      limiter,
    });
  /** One request to ON24; its answer (webinar "1" is unknown there) does not matter, pacing does. */
  const lookup = async (provider: WebinarProvider, account: ProviderAccount) => {
    try {
      await provider.findRegistrantByEmail?.(account, "1", "someone@example.com");
    } catch (error) {
      if (error instanceof ProviderError && error.kind === "rate_limited") throw error;
    }
    return null;
  };

  test("a call that makes three requests takes three slots, one before each", async () => {
    slots = [];
    const sent = sim.state.requestReport().total;
    const outcome = await caller()(configId, async (provider, account) => {
      for (let i = 0; i < 3; i++) await lookup(provider, account);
      return null;
    });
    assert.equal(outcome.kind, "ok", JSON.stringify(outcome));
    assert.equal(sim.state.requestReport().total - sent, 3);
    assert.equal(slots.length, 3);
  });

  test("a request whose slot is too far away is not sent, and the call is deferred", async () => {
    const slow = caller(0.01);
    slots = [];
    // The first request takes the bucket's one token; the next would wait about 100 s.
    await slow(configId, async (provider, account) => lookup(provider, account));
    const sent = sim.state.requestReport().total;
    const outcome = await slow(configId, async (provider, account) => lookup(provider, account));
    assert.equal(outcome.kind, "deferred", JSON.stringify(outcome));
    assert.equal(outcome.kind === "deferred" && outcome.reason, "Waiting for the account's request rate");
    assert.equal(sim.state.requestReport().total, sent);
    assert.equal(slots.length, 1);
  });
});
