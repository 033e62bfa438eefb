import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { attendanceScenario } from "./guarantees/attendance.ts";
import { cancellationScenario } from "./guarantees/cancel.ts";
import { noLossScenario, type RunSummary } from "./guarantees/no-loss.ts";
import { loadDrivers, mergedEnv } from "./guarantees/setup.ts";
import { switchOffScenario } from "./guarantees/switch-off.ts";

/**
 * The same guarantees for every provider, proven against each provider's simulator through
 * the real service (API, sync engine, adapters): no loss and no duplicate under faults and a
 * worker kill, cancellation propagates, work is held while switched off, and attendance
 * equals what the simulator recorded. Each driver in test/providers/drivers is one run.
 */
const loaded = await loadDrivers();
const drivers = loaded.flatMap((l) => (l.driver ? [l.driver] : []));
Object.assign(testEnv, mergedEnv(drivers), {
  AUDITORIUM_QUOTA_PAUSE_SECONDS: "1",
  AUDITORIUM_METRICS_POLL_SECONDS: "1",
});
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

/** PGlite runs the drain in-process and smaller; server PostgreSQL uses real worker processes. */
const DRAIN = {
  pglite: { count: 60, workers: "in-process" },
  postgres: { count: 200, workers: "processes" },
} as const;

for (const driver of drivers) {
  forEachBackend(`guarantees: ${driver.kind}`, (ctx, backend) => {
    let org: TestOrg;
    let summary: RunSummary | null = null;
    let workerStarted = false;
    let started = Date.now();
    // On server PostgreSQL the drain runs first in worker processes only; the other scenarios
    // share the in-process worker started after it.
    const inProcessWorker = async () => {
      if (workerStarted) return;
      workerStarted = true;
      await ctx.services.syncWorker.start();
    };
    before(async () => {
      started = Date.now();
      org = await ctx.createOrg(`guarantees-${driver.kind}`);
    });
    after(() => {
      const s = summary;
      const line =
        `guarantees ${driver.kind} [${backend}]: ` +
        (s
          ? `registrations ${s.registrations}, synced ${s.synced}, duplicates ${s.duplicates}, lost ${s.lost}, ` +
            `attempts ${s.attempts}, retries ${s.attempts - s.registrations}, ` +
            `${s.killedAt === null ? "no kill" : `worker killed at ${s.killedAt} synced`}, drain ${s.drainSeconds.toFixed(1)} s, `
          : "drain did not complete, ") +
        `all scenarios ${((Date.now() - started) / 1000).toFixed(1)} s\n`;
      process.stdout.write(line);
    });

    test(`no loss, no duplicate at ${driver.kind} under 20 % faults${backend === "postgres" ? " and a worker kill -9" : ""}`, async () => {
      summary = await noLossScenario(ctx, org, driver, { ...DRAIN[backend], inProcessWorker });
    });

    test(`cancellations and the event's cancellation reach ${driver.kind}`, async () => {
      await inProcessWorker();
      await cancellationScenario(ctx, org, driver);
    });

    test(`switch-off: no request reaches ${driver.kind}, work is held with a reason and syncs on restore`, async () => {
      await inProcessWorker();
      await switchOffScenario(ctx, org, driver);
    });

    test(`attendance equals what the ${driver.kind} simulator recorded`, async () => {
      await inProcessWorker();
      await attendanceScenario(ctx, org, driver);
    });
  });
}
