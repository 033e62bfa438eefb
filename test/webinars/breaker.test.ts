import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createProviderRateLimiter } from "../../src/jobs/rate-limiter.ts";
import { type CallOutcome, createProviderCaller } from "../../src/modules/webinars/sync/provider-call.ts";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, webinarSetup } from "./fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

const FAILURES = 3;
const OPEN_SECONDS = 0.4;
const OPEN_REASON = "Circuit open after repeated provider failures";

/**
 * The per-account circuit breaker in the provider caller (cockatiel): FAILURES transient
 * failures in a row open it; while open, calls are deferred without a request; after
 * OPEN_SECONDS one trial call goes through (half-open), and its result closes the breaker or
 * opens it again. Everything real: the ON24 simulator answering 503 or not, the database,
 * the switch-off gate and the shared rate limiter.
 */
forEachBackend("circuit breaker", (ctx) => {
  let configId: string;
  let otherConfigId: string;
  let call: ReturnType<typeof createProviderCaller>;
  before(async () => {
    ({ configId } = await webinarSetup(ctx, await ctx.createOrg("breaker")));
    ({ configId: otherConfigId } = await webinarSetup(ctx, await ctx.createOrg("breaker-other")));
    call = createProviderCaller({
      db: ctx.database.db,
      providers: ctx.services.providers,
      configurations: ctx.services.configurations,
      gate: ctx.runtime.gate,
      limiter: createProviderRateLimiter({ db: ctx.database.db }),
      tuning: { breakerFailures: FAILURES, breakerOpenSeconds: OPEN_SECONDS },
    });
  });
  after(() => sim.state.setKnobs({ errorRate: 0, faultKinds: ["500", "502", "503", "drop"], latencyMs: 0 }));

  const providerDown = (down: boolean) =>
    sim.state.setKnobs({ errorRate: down ? 1 : 0, faultKinds: ["503"] });
  const sent = () => sim.state.requestReport().total;
  const lookup = (configurationId = configId) =>
    call(
      configurationId,
      async (provider, account) =>
        (await provider.findRegistrantByEmail?.(account, "1", "someone@example.com")) ?? null,
    );
  const kindOf = (outcome: CallOutcome<unknown>) =>
    outcome.kind === "deferred" ? `deferred: ${outcome.reason}` : outcome.kind;
  const waitOpenPeriod = () => sleep(OPEN_SECONDS * 1000 + 150);

  test("transient failures in a row open it; while open no request is sent", async () => {
    providerDown(true);
    const first = sent();
    for (let i = 0; i < FAILURES; i++) assert.equal(kindOf(await lookup()), "retry");
    assert.equal(sent(), first + FAILURES);
    const open = await lookup();
    assert.equal(kindOf(open), `deferred: ${OPEN_REASON}`);
    assert.equal(open.kind === "deferred" && open.afterSeconds, OPEN_SECONDS);
    assert.equal(sent(), first + FAILURES);
  });

  test("it is per account: another configuration still calls", async () => {
    providerDown(false);
    const first = sent();
    assert.equal(kindOf(await lookup(otherConfigId)), "ok");
    assert.equal(sent(), first + 1);
    assert.equal(kindOf(await lookup()), `deferred: ${OPEN_REASON}`);
  });

  test("after the open period one trial goes through; when it fails the breaker opens again", async () => {
    providerDown(true);
    await waitOpenPeriod();
    const first = sent();
    assert.equal(kindOf(await lookup()), "retry");
    assert.equal(sent(), first + 1);
    assert.equal(kindOf(await lookup()), `deferred: ${OPEN_REASON}`);
    assert.equal(sent(), first + 1);
  });

  test("while the trial is in flight, other calls are deferred at once, not queued behind it", async () => {
    providerDown(false);
    sim.state.setKnobs({ latencyMs: 1500 });
    try {
      await waitOpenPeriod();
      const first = sent();
      const settled: string[] = [];
      const trial = lookup().then((o) => {
        settled.push("trial");
        return o;
      });
      // The trial's request has reached the provider (which holds it 1.5 s) before the others start.
      while (sent() === first) await sleep(10);
      const others = await Promise.all(
        [1, 2, 3].map(() =>
          lookup().then((o) => {
            settled.push("other");
            return o;
          }),
        ),
      );
      for (const o of others) assert.equal(kindOf(o), `deferred: ${OPEN_REASON}`);
      assert.equal(kindOf(await trial), "ok");
      assert.deepEqual(settled, ["other", "other", "other", "trial"]);
      assert.equal(sent(), first + 1);
    } finally {
      sim.state.setKnobs({ latencyMs: 0 });
    }
  });

  test("a successful trial closed it: calls go through, and the failure count starts again", async () => {
    assert.equal(kindOf(await lookup()), "ok");
    providerDown(true);
    const first = sent();
    for (let i = 0; i < FAILURES; i++) assert.equal(kindOf(await lookup()), "retry");
    assert.equal(kindOf(await lookup()), `deferred: ${OPEN_REASON}`);
    assert.equal(sent(), first + FAILURES);
    providerDown(false);
    await waitOpenPeriod();
    assert.equal(kindOf(await lookup()), "ok");
    assert.equal(kindOf(await lookup()), "ok");
  });

  test("failures that are not transient (a permanent refusal) never open it", async () => {
    sim.state.setKnobs({ errorRate: 0 });
    const first = sent();
    for (let i = 0; i < FAILURES + 2; i++) {
      const outcome = await call(configId, async (provider, account) =>
        provider.register(account, "999999", {
          email: "nobody@example.com",
          firstName: "No",
          lastName: "Body",
          company: null,
          jobTitle: null,
        }),
      );
      assert.equal(kindOf(outcome), "failed");
    }
    assert.equal(sent(), first + FAILURES + 2);
  });
});
