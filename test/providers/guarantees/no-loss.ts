import assert from "node:assert/strict";
import path from "node:path";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, syncCounts, waitUntil } from "../../webinars/fixtures.ts";
import { startWorker, stopWorker } from "../../webinars/workers.ts";
import { providerSetup, provisioned, syncRows } from "./setup.ts";

/** What the closing note quotes for one provider. */
export interface RunSummary {
  registrations: number;
  synced: number;
  duplicates: number;
  lost: number;
  attempts: number;
  /** Synced count when a worker was killed (null: no kill in this variant). */
  killedAt: number | null;
  drainSeconds: number;
}

export const FAULT_RATE = 0.2;

/**
 * Faults on, registrations through the API, drained by real worker processes on server
 * PostgreSQL (one killed with SIGKILL mid-drain and replaced) or by the in-process worker on
 * PGlite. Then: every registration synced, each email created exactly once at the simulator,
 * and the provider id we stored is the one the simulator holds (an adopted registrant, not a
 * second one).
 */
export async function noLossScenario(
  ctx: TestContext,
  org: TestOrg,
  driver: ProviderSimDriver,
  options: { count: number; workers: "processes" | "in-process"; inProcessWorker: () => Promise<void> },
): Promise<RunSummary> {
  const { eventId } = await providerSetup(ctx, org, driver, "no loss");
  await driver.setFaultRate(FAULT_RATE);
  const processes: ReturnType<typeof startWorker>[] = [];
  const workerEnv = () => ({
    DATABASE_URL: ctx.database.connectionString as string,
    AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
    ...driver.env,
    AUDITORIUM_QUOTA_PAUSE_SECONDS: "1",
    AUDITORIUM_METRICS_POLL_SECONDS: "1",
    AUDITORIUM_WORKER_CONCURRENCY: "10",
    // Several test files share one server (100 connections): keep each worker small.
    AUDITORIUM_DB_POOL_SIZE: "4",
  });
  const workerOutput = () => processes.map((w) => w.output.join("").slice(-2000)).join("\n---\n");
  let killedAt: number | null = null;
  let drainSeconds = 0;
  try {
    const ids = await registerMany(ctx, org, eventId, options.count, `nl-${driver.kind}-`);
    assert.equal(ids.length, options.count);
    const started = Date.now();
    if (options.workers === "processes") {
      processes.push(startWorker(workerEnv()), startWorker(workerEnv()));
      // Kill early in the drain, so the victim dies holding leased rows and claimed jobs.
      killedAt = await waitUntil(
        "the drain under way",
        async () => {
          const synced = (await syncCounts(ctx, eventId)).synced ?? 0;
          return synced >= Math.ceil(options.count / 10) ? synced : null;
        },
        90_000,
      ).catch((e) => {
        throw new Error(`${e.message}; worker output: ${workerOutput()}`);
      });
      processes[0]?.kill("SIGKILL");
      processes.push(startWorker(workerEnv()));
    } else {
      await options.inProcessWorker();
    }
    // A killed worker's jobs are claimed again after pg-boss expiry and its leases lapse
    // (both 60 s), so the bound is above that.
    await waitUntil(
      `all ${options.count} synced`,
      async () => (await syncCounts(ctx, eventId)).synced === options.count,
      180_000,
    ).catch(async (e) => {
      throw new Error(
        `${e.message}; counts ${JSON.stringify(await syncCounts(ctx, eventId))}; worker output: ${workerOutput()}`,
      );
    });
    drainSeconds = (Date.now() - started) / 1000;
  } finally {
    await driver.setFaultRate(0);
    await Promise.all(processes.map(stopWorker));
  }

  const webinar = await provisioned(ctx, org, eventId);
  const rows = await syncRows(ctx, eventId);
  const atProvider = await driver.registrants(webinar.providerWebinarId);
  const byEmail = new Map(atProvider.map((r) => [r.email.toLowerCase(), r]));
  const ours = rows.map((r) => r.email.toLowerCase());
  const duplicates = atProvider.filter((r) => r.createdCount > 1).length;
  const lost = ours.filter((e) => byEmail.get(e)?.status !== "registered").length;
  const summary: RunSummary = {
    registrations: options.count,
    synced: rows.filter((r) => r.state === "synced").length,
    duplicates,
    lost,
    attempts: rows.reduce((n, r) => n + r.attempts, 0),
    killedAt,
    drainSeconds,
  };

  assert.equal(summary.synced, options.count);
  assert.equal(lost, 0, "registrations missing at the simulator");
  assert.deepEqual(
    atProvider.filter((r) => r.createdCount !== 1).map((r) => [r.email, r.createdCount]),
    [],
    "every email created exactly once at the simulator",
  );
  assert.equal(
    atProvider.filter((r) => r.status === "registered").length,
    options.count,
    "the simulator holds nobody else",
  );
  for (const row of rows) {
    assert.equal(
      row.provider_registrant_id,
      byEmail.get(row.email.toLowerCase())?.providerRegistrantId,
      "the stored provider id is the simulator's",
    );
  }
  if (killedAt !== null) assert.ok(killedAt < options.count, "the worker was killed mid-drain");
  return summary;
}
