import assert from "node:assert/strict";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, syncCounts, waitUntil } from "../../webinars/fixtures.ts";
import { providerSetup, provisioned, syncRows, webinarDiagnostics } from "./setup.ts";
import type { WorkerPool } from "./worker-pool.ts";

/** What the closing note quotes for one provider. */
export interface RunSummary {
  registrations: number;
  synced: number;
  duplicates: number;
  lost: number;
  attempts: number;
  /** Synced count when a worker was killed (null: no kill in this variant). */
  killedAt: number | null;
  /** Seconds from the kill until everything was synced (null: no kill). */
  afterKillSeconds: number | null;
  drainSeconds: number;
}

export const FAULT_RATE = 0.2;

/** Where a drain stands, for a failure message: the webinar's state and the sync counts. */
async function progress(ctx: TestContext, eventId: string) {
  return `${await webinarDiagnostics(ctx, eventId)}; sync counts ${JSON.stringify(await syncCounts(ctx, eventId))}`;
}

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
  options: { count: number; pool: WorkerPool | null },
): Promise<RunSummary> {
  const { eventId } = await providerSetup(ctx, org, driver, "no loss");
  const { pool, count } = options;
  await driver.setFaultRate(FAULT_RATE);
  let killedAt: number | null = null;
  let killedAtMs = 0;
  let drainSeconds = 0;
  const started = Date.now();
  try {
    // The processes start while the registrations come in, as they would in production.
    pool?.ensureRunning(2);
    const registering = registerMany(ctx, org, eventId, count, `nl-${driver.kind}-`);
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    registering.catch(() => {});
    if (pool) {
      // Kill early in the drain (while registrations still arrive), so the victim dies
      // holding leased rows and claimed jobs.
      killedAt = await waitUntil(
        "the drain under way",
        async () => {
          const synced = (await syncCounts(ctx, eventId)).synced ?? 0;
          return synced >= Math.ceil(count / 10) ? synced : null;
        },
        90_000,
      ).catch(async (e) => {
        throw new Error(`${e.message}; ${await progress(ctx, eventId)}; worker output: ${pool.output()}`);
      });
      pool.killOne();
      killedAtMs = Date.now();
      pool.start();
    }
    assert.equal((await registering).length, count);
    // A killed worker's jobs are claimed again after pg-boss expiry and its leases lapse
    // (both 60 s), and a loaded machine stretches back-offs, so the bound is well above that.
    await waitUntil(
      `all ${count} synced`,
      async () => (await syncCounts(ctx, eventId)).synced === count,
      300_000,
    ).catch(async (e) => {
      throw new Error(`${e.message}; ${await progress(ctx, eventId)}; worker output: ${pool?.output()}`);
    });
    drainSeconds = (Date.now() - started) / 1000;
  } finally {
    await driver.setFaultRate(0);
  }

  const webinar = await provisioned(ctx, org, eventId);
  const rows = await syncRows(ctx, eventId);
  const atProvider = await driver.registrants(webinar.providerWebinarId);
  const byEmail = new Map(atProvider.map((r) => [r.email.toLowerCase(), r]));
  const ours = rows.map((r) => r.email.toLowerCase());
  const duplicates = atProvider.filter((r) => r.createdCount > 1).length;
  const lost = ours.filter((e) => byEmail.get(e)?.status !== "registered").length;
  const summary: RunSummary = {
    registrations: count,
    synced: rows.filter((r) => r.state === "synced").length,
    duplicates,
    lost,
    attempts: rows.reduce((n, r) => n + r.attempts, 0),
    killedAt,
    afterKillSeconds: killedAt === null ? null : (started + drainSeconds * 1000 - killedAtMs) / 1000,
    drainSeconds,
  };

  assert.equal(summary.synced, count);
  assert.equal(lost, 0, "registrations missing at the simulator");
  assert.deepEqual(
    atProvider.filter((r) => r.createdCount !== 1).map((r) => [r.email, r.createdCount]),
    [],
    "every email created exactly once at the simulator",
  );
  assert.equal(
    atProvider.filter((r) => r.status === "registered").length,
    count,
    "the simulator holds nobody else",
  );
  for (const row of rows) {
    assert.equal(
      row.provider_registrant_id,
      byEmail.get(row.email.toLowerCase())?.providerRegistrantId,
      "the stored provider id is the simulator's",
    );
  }
  if (killedAt !== null) assert.ok(killedAt < count, "the worker was killed mid-drain");
  return summary;
}
