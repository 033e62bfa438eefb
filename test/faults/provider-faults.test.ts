import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  createRegistrations,
  providerReport,
  type Simulator,
  startSimulator,
  syncCounts,
  waitUntil,
  webinarSetup,
} from "../webinars/fixtures.ts";

/**
 * Every kind of provider misbehaviour at once, on 20 % of requests: ON24's quota 403, 429
 * with and without Retry-After, 500/502/503, requests that hang past our timeout, connection
 * resets, malformed JSON and truncated bodies; plus 5 % of writes applied and then answered
 * with a fault, so a retry must not register anyone twice.
 */
const sim: Simulator = await startSimulator({
  errorRate: 0.2,
  faultKinds: ["quota403", "429", "429-bare", "500", "502", "503", "hang", "drop", "malformed", "truncated"],
  faultAfterCommitRate: 0.05,
  // After the write is stored, only answers that can really follow it: a throttling or quota
  // answer is given before a provider processes anything.
  faultAfterCommitKinds: ["500", "502", "503", "hang", "drop", "malformed", "truncated"],
  hangMs: 1500,
});
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
testEnv.AUDITORIUM_PROVIDER_TIMEOUT_SECONDS = "1";
testEnv.AUDITORIUM_QUOTA_PAUSE_SECONDS = "0.5";
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "30";
after(() => sim.close());

const COUNT = 300;

forEachBackend(
  "provider faults at 20 %",
  (ctx) => {
    let org: TestOrg;
    before(async () => {
      org = await ctx.createOrg("faults");
      await ctx.services.syncWorker.start();
    });

    test(`${COUNT} registrations under every fault kind: each synced, each at ON24 exactly once`, async () => {
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 500 });
      const before = sim.state.requestReport().total;
      const started = Date.now();
      await createRegistrations(ctx, org, eventId, COUNT, "fault");
      await waitUntil(
        `${COUNT} synced`,
        async () => (await syncCounts(ctx, eventId)).synced === COUNT,
        300_000,
      ).catch(async (e) => {
        throw new Error(`${e.message}; states ${JSON.stringify(await syncCounts(ctx, eventId))}`);
      });
      const report = await providerReport(ctx, sim, eventId);
      const requests = sim.state.requestReport().total - before;
      process.stdout.write(
        `# provider faults: ${COUNT} synced in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `${requests} requests to ON24, duplicates ${report.duplicates}, held at ON24 ${report.count}\n`,
      );
      assert.equal(report.count, COUNT);
      assert.equal(report.duplicates, 0);
    });
  },
  { only: process.env.TEST_DATABASE_URL ? "postgres" : "pglite" },
);
