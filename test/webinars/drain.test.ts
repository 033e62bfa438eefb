import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  createRegistrations,
  providerReport,
  type Simulator,
  startSimulator,
  syncCounts,
  waitSynced,
  waitUntil,
  webinarSetup,
} from "./fixtures.ts";
import { startWorker, stopWorker } from "./workers.ts";

/**
 * The scale-out guarantees with real processes on server PostgreSQL: separate
 * `auditorium worker` processes drain registrations against the simulator with a request
 * quota (answered as ON24 does, HTTP 403) and injected faults — every registration reaches
 * ON24 exactly once, even when a worker is killed with SIGKILL mid-drain.
 */
const sim: Simulator = await startSimulator({
  errorRate: 0.1,
  faultAfterCommitRate: 0.03,
  quota: { limit: 150, windowMs: 1000 },
  latencyMs: 3,
});
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

forEachBackend(
  "drain with worker processes",
  (ctx) => {
    let org: TestOrg;
    const workers: ReturnType<typeof startWorker>[] = [];
    const workerEnv = () => ({
      DATABASE_URL: ctx.database.connectionString as string,
      AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
      AUDITORIUM_QUOTA_PAUSE_SECONDS: "1",
      AUDITORIUM_WORKER_CONCURRENCY: "25",
      // Several test files share one server (100 connections): keep each worker small.
      AUDITORIUM_DB_POOL_SIZE: "6",
    });
    before(async () => {
      org = await ctx.createOrg("drain");
    });
    after(async () => {
      await Promise.all(workers.map(stopWorker));
    });

    test("2,000 registrations, 3 worker processes, quota and 10 % faults: each at ON24 exactly once", async () => {
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 200 });
      await createRegistrations(ctx, org, eventId, 2000, "drain");
      const requestsBefore = sim.state.requestReport().total;
      const started = Date.now();
      for (let i = 0; i < 3; i++) workers.push(startWorker(workerEnv()));
      await waitUntil(
        "2,000 synced",
        async () => (await syncCounts(ctx, eventId)).synced === 2000,
        300_000,
      ).catch((e) => {
        throw new Error(
          `${e.message}; worker output: ${workers.map((w) => w.output.join("").slice(-2000)).join("\n---\n")}`,
        );
      });
      const seconds = (Date.now() - started) / 1000;
      const report = await providerReport(ctx, sim, eventId);
      const duplicates = report.registrants.filter((r) => r.createCount !== 1).length;
      const attempts = await ctx.database.db
        .selectFrom("registration_syncs as s")
        .innerJoin("registrations as r", "r.id", "s.registration_id")
        .select((eb) => eb.fn.sum<number>("s.attempts").as("attempts"))
        .where("r.event_id", "=", eventId)
        .executeTakeFirstOrThrow();
      const requests = sim.state.requestReport().total - requestsBefore;
      process.stdout.write(
        `# drain: 2000 registrations in ${seconds.toFixed(1)} s = ${(2000 / seconds).toFixed(1)}/s by 3 processes; ` +
          `provider attempts ${Number(attempts.attempts)}, retries ${Number(attempts.attempts) - 2000}, requests to ON24 ${requests}, ` +
          `duplicates ${duplicates}, held at ON24 ${report.count}\n`,
      );
      assert.equal(report.count, 2000);
      assert.equal(new Set(report.registrants.map((r) => r.email)).size, 2000);
      assert.equal(duplicates, 0);
    });

    test("kill -9 of a worker mid-drain, then a fresh one: nothing lost, nothing duplicated", async () => {
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 200 });
      await createRegistrations(ctx, org, eventId, 600, "killed");
      const victim = workers[0] as (typeof workers)[number];
      await waitUntil(
        "a third synced",
        async () => ((await syncCounts(ctx, eventId)).synced ?? 0) >= 200,
        120_000,
      );
      victim.kill("SIGKILL");
      workers.push(startWorker(workerEnv()));
      await waitSynced(ctx, eventId, 600, "all 600 synced", 600_000);
      const report = await providerReport(ctx, sim, eventId);
      assert.equal(report.count, 600);
      assert.equal(report.registrants.filter((r) => r.createCount !== 1).length, 0);
    });
  },
  { only: "postgres" },
);
