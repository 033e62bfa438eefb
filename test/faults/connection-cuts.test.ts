import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import pg from "pg";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  createRegistrations,
  type Simulator,
  startSimulator,
  syncCounts,
  waitUntil,
  webinarSetup,
} from "../webinars/fixtures.ts";
import { startWorker, stopWorker } from "../webinars/workers.ts";

/**
 * PostgreSQL cutting every connection, aimed: two worker processes drain registrations
 * while every backend of the database is terminated, and the workers must go on by
 * themselves. A provider that answers slowly keeps calls in flight, so cuts land while
 * handlers hold the switch-off permit, a pool connection or a pg-boss claim. After the cuts
 * it prints the drain's timeline (syncs done and leased, sync jobs by state): the evidence
 * behind "Silent stall after connection cuts" in docs/performance.md.
 */
const sim: Simulator = await startSimulator({ latencyMs: 40 });
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/** Longest a drain may make no progress after the cuts stop: a generous bound (leases lapse in 10 s, pg-boss's heartbeat fails lost claims in 10 s), so a stall shows its diagnosis rather than a slow drain failing. */
const RESUME_WITHIN_MS = 90_000;

forEachBackend(
  "connection cuts",
  (ctx) => {
    let org: TestOrg;
    const workers: ReturnType<typeof startWorker>[] = [];
    let admin: pg.Client;
    let dbName: string;
    const workerEnv = () => ({
      DATABASE_URL: ctx.database.connectionString as string,
      AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
      AUDITORIUM_SYNC_MAX_ATTEMPTS: "30",
      AUDITORIUM_WORKER_CONCURRENCY: "10",
      AUDITORIUM_DB_POOL_SIZE: "4",
    });
    before(async () => {
      org = await ctx.createOrg("cuts");
      admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      dbName = new URL(ctx.database.connectionString as string).pathname.slice(1);
    });
    after(async () => {
      await Promise.all(workers.map(stopWorker));
      await admin?.end();
    });

    const synced = (eventId: string) =>
      waitUntil("a sync count", async () => ({ n: (await syncCounts(ctx, eventId)).synced ?? 0 })).then(
        (r) => r.n,
      );
    const cutAll = async () => {
      const res = await admin.query<{ n: number }>(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [dbName],
      );
      return res.rows[0]?.n ?? 0;
    };
    /** What to look at when a drain stalls: every backend, the jobs by state, the workers' last words. */
    const diagnosis = async (eventId: string) => {
      const backends = await admin.query(
        `SELECT application_name, state, wait_event_type, wait_event, left(query, 120) AS query,
                now() - state_change AS in_state
         FROM pg_stat_activity WHERE datname = $1 ORDER BY application_name, state`,
        [dbName],
      );
      const jobs = await ctx.database.db
        .selectFrom("pgboss.job" as never)
        .select(["name", "state"] as never)
        .execute()
        .catch(() => []);
      const byState: Record<string, number> = {};
      for (const j of jobs as { name: string; state: string }[])
        byState[`${j.name}:${j.state}`] = (byState[`${j.name}:${j.state}`] ?? 0) + 1;
      return [
        `syncs ${JSON.stringify(await syncCounts(ctx, eventId))}`,
        `jobs ${JSON.stringify(byState)}`,
        `backends ${JSON.stringify(backends.rows, null, 1)}`,
        ...workers.map(
          (w) => `worker exit ${w.exitCode ?? w.signalCode ?? "-"}: ${w.output.join("").slice(-2500)}`,
        ),
      ].join("\n");
    };
    /** One line of the drain's timeline: syncs done and leased, and the sync jobs by state. */
    const snapshot = async (eventId: string) => {
      const { rows } = await sql`
        SELECT
           (SELECT count(*) FROM registration_syncs s JOIN registrations r ON r.id = s.registration_id
             WHERE r.event_id = ${eventId} AND s.state = 'synced')::int AS synced,
           (SELECT count(*) FROM registration_syncs s JOIN registrations r ON r.id = s.registration_id
             WHERE r.event_id = ${eventId} AND s.lease_until > now())::int AS leased,
           (SELECT count(*) FROM pgboss.job WHERE name = 'registration.sync' AND state = 'active')::int AS active,
           (SELECT count(*) FROM pgboss.job WHERE name = 'registration.sync' AND state IN ('created', 'retry')
             AND start_after <= now())::int AS ready,
           (SELECT count(*) FROM pgboss.job WHERE name = 'registration.sync' AND state IN ('created', 'retry')
             AND start_after > now())::int AS deferred,
           (SELECT coalesce(max(extract(epoch FROM start_after - now()))::int, 0) FROM pgboss.job
             WHERE name = 'registration.sync' AND state IN ('created', 'retry')) AS "furthestIn"`.execute(
        ctx.database.db,
      );
      return JSON.stringify(rows[0]);
    };
    const drainsAfter = async (eventId: string, count: number, label: string) => {
      const started = Date.now();
      let last = await synced(eventId);
      let lastProgress = Date.now();
      let lastSnapshot = 0;
      while (last < count) {
        await sleep(500);
        if (Date.now() - lastSnapshot >= 5000) {
          lastSnapshot = Date.now();
          process.stdout.write(
            `# ${label} +${((Date.now() - started) / 1000).toFixed(0)} s: ${await snapshot(eventId)}\n`,
          );
        }
        const now = await synced(eventId);
        if (now > last) {
          last = now;
          lastProgress = Date.now();
        } else if (Date.now() - lastProgress > RESUME_WITHIN_MS) {
          assert.fail(
            `${label}: no progress for ${RESUME_WITHIN_MS / 1000} s at ${now}/${count}\n${await diagnosis(eventId)}`,
          );
        }
      }
      process.stdout.write(
        `# ${label}: all ${count} synced ${((Date.now() - started) / 1000).toFixed(1)} s after the cuts\n`,
      );
    };

    test("every backend cut again and again while calls are in flight: the workers resume each time", async () => {
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 300 });
      await createRegistrations(ctx, org, eventId, 400, "burst");
      workers.push(startWorker(workerEnv()), startWorker(workerEnv()));
      let terminated = 0;
      for (let round = 1; round <= 8; round++) {
        const before = await synced(eventId);
        await waitUntil(
          `progress before cut ${round}`,
          async () => (await synced(eventId)) >= before + 10,
          RESUME_WITHIN_MS,
        ).catch(async (e) => assert.fail(`${e.message}\n${await diagnosis(eventId)}`));
        // Two cuts close together: the second lands while the first one's reconnects and retries run.
        terminated += await cutAll();
        await sleep(50 + Math.random() * 300);
        terminated += await cutAll();
      }
      process.stdout.write(`# aimed cuts: ${terminated} backends terminated in 8 rounds\n`);
      await drainsAfter(eventId, 400, "aimed cuts");
    });

    test("an outage like a restart: every backend terminated again and again for 20 s; the workers resume on their own", async () => {
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 300 });
      // The first test's workers would sync these while they are created, so the outage could
      // land after the drain (the wait below then never ends): the same race as the worker-kill
      // test's cut scenario. Created with no worker running, the outage lands inside the drain.
      const alive = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);
      await Promise.all(alive().map(stopWorker));
      await createRegistrations(ctx, org, eventId, 300, "outage");
      while (alive().length < 2) workers.push(startWorker(workerEnv()));
      const before = await synced(eventId);
      assert.equal(before, 0, "no worker ran while the registrations were created");
      await waitUntil(
        "progress before the outage",
        async () => (await synced(eventId)) >= before + 10,
        RESUME_WITHIN_MS,
      ).catch(async (e) => assert.fail(`${e.message}\n${await diagnosis(eventId)}`));
      const until = Date.now() + 20_000;
      let terminated = 0;
      while (Date.now() < until) {
        terminated += await cutAll();
        await sleep(100);
      }
      process.stdout.write(`# outage: ${terminated} backends terminated in 20 s\n`);
      await drainsAfter(eventId, 300, "outage");
      assert.ok(alive().length >= 2, "workers survive");
    });
  },
  { only: "postgres" },
);
