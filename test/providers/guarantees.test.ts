import { after, before, describe, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { attendanceScenario } from "./guarantees/attendance.ts";
import { cancellationScenario } from "./guarantees/cancel.ts";
import { createOnceScenario } from "./guarantees/create-once.ts";
import { type ErasureSummary, erasureScenario } from "./guarantees/erasure.ts";
import { noLossScenario, type RunSummary } from "./guarantees/no-loss.ts";
import { type DriftReport, driftReportLine, reconciliationScenario } from "./guarantees/reconcile.ts";
import { jobsOverview, loadDrivers, mergedEnv, quiesce } from "./guarantees/setup.ts";
import { switchOffScenario } from "./guarantees/switch-off.ts";
import { workerPool } from "./guarantees/worker-pool.ts";

/**
 * The same guarantees for every provider, proven against each provider's simulator through
 * the real service (API, sync engine, adapters): no loss and no duplicate under faults and a
 * worker kill, cancellation propagates, work is held while switched off, attendance equals
 * what the simulator recorded, and an erasure reaches the provider through an outage. Each driver in test/providers/drivers is one run.
 *
 * On server PostgreSQL real `auditorium worker` processes do the work (one is killed with
 * SIGKILL mid-drain); on PGlite, which one process owns, the in-process worker does, and the
 * drain is smaller. One database per backend serves every provider: opening one is the
 * slowest step on a loaded machine.
 */
const loaded = await loadDrivers();
const drivers = loaded.flatMap((l) => (l.driver ? [l.driver] : []));
const env = mergedEnv(drivers);
Object.assign(testEnv, env, { AUDITORIUM_QUOTA_PAUSE_SECONDS: "1", AUDITORIUM_METRICS_POLL_SECONDS: "1" });
after(() => Promise.all(drivers.map((d) => d.close())));

for (const l of loaded) {
  if (l.error !== undefined) {
    test(`guarantees: ${l.name} driver starts`, () => {
      throw new Error(`driver test/providers/drivers/${l.name}.ts failed to start: ${String(l.error)}`, {
        cause: l.error,
      });
    });
  }
}

const DRAIN_COUNT = { pglite: 60, postgres: 200 } as const;

forEachBackend("provider guarantees", (ctx, backend) => {
  if (backend === "pglite") before(() => ctx.services.syncWorker.start());

  for (const driver of drivers) {
    describe(driver.kind, () => {
      let org: TestOrg;
      let summary: RunSummary | null = null;
      let erasure: ErasureSummary | null = null;
      let started = Date.now();
      const pool = backend === "postgres" ? workerPool(ctx, env) : null;
      /** Runs a scenario; a failure also says where the work waited (seen once in CI without that). */
      const explained = <T>(scenario: () => Promise<T>) =>
        scenario().catch(async (e: Error) => {
          throw new Error(`${e.message}\n${await jobsOverview(ctx, pool?.output())}`, { cause: e });
        });
      before(async () => {
        started = Date.now();
        org = await ctx.createOrg(`guarantees-${driver.kind}`);
      });
      after(async () => {
        await pool?.stopAll();
        await driver.setFaultRate(0);
        const s = summary;
        process.stdout.write(
          `guarantees ${driver.kind} [${backend}]: ` +
            (s
              ? `registrations ${s.registrations}, synced ${s.synced}, duplicates ${s.duplicates}, lost ${s.lost}, ` +
                `attempts ${s.attempts}, retries ${s.attempts - s.registrations}, ` +
                `${s.killedAt === null ? "no kill" : `worker killed at ${s.killedAt} synced, all synced ${s.afterKillSeconds?.toFixed(1)} s after the kill`}, ` +
                `drain ${s.drainSeconds.toFixed(1)} s, `
              : "drain did not complete, ") +
            (erasure
              ? `erasure: ${erasure.attemptsDuringOutage} attempts during the outage, done ${erasure.secondsToDone.toFixed(1)} s after the request, provider keeps ${erasure.retained.length} kind(s) of data, `
              : "erasure did not complete, ") +
            `all scenarios ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
      });

      test(`no loss, no duplicate under 20 % faults${pool ? " and a worker kill -9" : ""}`, async () => {
        summary = await explained(() =>
          noLossScenario(ctx, org, driver, { count: DRAIN_COUNT[backend], pool }),
        );
      });

      test("cancelled registrations and the cancelled event reach the provider", async () => {
        pool?.ensureRunning(2);
        await explained(() => quiesce(ctx, org));
        await explained(() => cancellationScenario(ctx, org, driver));
      });

      test("switch-off: no request reaches the provider, work is held with a reason and syncs on restore", async () => {
        pool?.ensureRunning(2);
        await explained(() => quiesce(ctx, org));
        await explained(() => switchOffScenario(ctx, org, driver));
      });

      test("attendance equals what the simulator recorded", async () => {
        pool?.ensureRunning(2);
        await explained(() => quiesce(ctx, org));
        await explained(() => attendanceScenario(ctx, org, driver));
      });

      test("erasure reaches the provider, an outage is retried, and the state is visible", async () => {
        pool?.ensureRunning(2);
        await explained(() => quiesce(ctx, org));
        erasure = await explained(() => erasureScenario(ctx, org, driver));
      });

      test("one webinar at the provider after a crash between create and store, and for two jobs at once", async () => {
        await explained(() => createOnceScenario(ctx, org, driver));
      });

      // Last of the provider's scenarios: its sweep reads every webinar of the organization.
      let drift: DriftReport | null = null;
      after(() => {
        if (drift) process.stdout.write(driftReportLine(driver.kind, backend, drift));
      });
      test("reconciliation: registrations and cancellations made at the provider come back, drift counted both ways", async (t) => {
        const atProvider = driver.atProvider;
        if (!atProvider) return t.skip("the driver has no provider-side registration path");
        pool?.ensureRunning(2);
        await explained(() => quiesce(ctx, org));
        drift = await explained(() => reconciliationScenario(ctx, org, { ...driver, atProvider }));
      });
    });
  }
});
