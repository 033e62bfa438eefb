import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { LIVENESS_LOCK_CLASS } from "../../src/jobs/liveness.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  createRegistrations,
  providerReport,
  type Simulator,
  startSimulator,
  syncCounts,
  waitUntil,
  webinarIdOf,
  webinarSetup,
} from "../webinars/fixtures.ts";
import { startWorker, stopWorker, type WorkerProcess } from "../webinars/workers.ts";

/**
 * Crashes during a drain, on server PostgreSQL with real worker processes: ten SIGKILLs of
 * a worker, and PostgreSQL cutting every connection of the database three times. Nothing
 * may be lost (every registration synced) and nothing duplicated (each created once at ON24).
 */
const sim: Simulator = await startSimulator({ errorRate: 0.05, faultAfterCommitRate: 0.02, latencyMs: 5 });
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

forEachBackend(
  "crashes during a drain",
  (ctx) => {
    let org: TestOrg;
    const workers: WorkerProcess[] = [];
    const workerEnv = () => ({
      DATABASE_URL: ctx.database.connectionString as string,
      AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
      AUDITORIUM_QUOTA_PAUSE_SECONDS: "1",
      AUDITORIUM_SYNC_MAX_ATTEMPTS: "30",
      AUDITORIUM_WORKER_CONCURRENCY: "10",
      AUDITORIUM_DB_POOL_SIZE: "4",
      // Each registration job's start timing (fetch to claim, src/jobs/start-timing.ts), for the
      // lines a slow resumption prints.
      AUDITORIUM_LOG_LEVEL: "debug",
    });
    before(async () => {
      org = await ctx.createOrg("crashes");
    });
    after(async () => {
      await Promise.all(workers.map(stopWorker));
    });
    const alive = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);
    // Our own connections are cut too: a probe that fails on a cut connection is asked again.
    const synced = (eventId: string) =>
      waitUntil("a sync count", async () => ({ n: (await syncCounts(ctx, eventId)).synced ?? 0 })).then(
        (r) => r.n,
      );

    async function expectExactlyOnce(eventId: string, count: number, label: string, started: number) {
      await waitUntil(`all ${count} synced`, async () => (await synced(eventId)) === count, 400_000).catch(
        async (e) => {
          throw new Error(
            `${e.message}; states ${JSON.stringify(await syncCounts(ctx, eventId))}; ` +
              `worker output: ${workers.map((w) => w.output.join("").slice(-1500)).join("\n---\n")}`,
          );
        },
      );
      const report = await providerReport(ctx, sim, eventId);
      process.stdout.write(
        `# ${label}: ${count} synced in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `duplicates ${report.duplicates}, held at ON24 ${report.count}\n`,
      );
      assert.equal(report.count, count);
      assert.equal(report.duplicates, 0);
    }

    /**
     * How long after each kill the victim's leased work resumed. The victim's rows are those
     * its process held at the kill (`lease_holder`, its liveness key, src/jobs/liveness.ts). A
     * row has resumed once it is done, claimed again by a live worker (a new lease token), or
     * attempted since the kill; a row's own failed attempts waiting out their retry delay belong
     * to no kill. The sweeper frees a dead process's rows within two sweeps of its death and
     * hands them to the survivors ahead of their backlog (src/jobs/lease.ts).
     */
    function resumptionClock(webinarId: string) {
      type Kill = {
        kill: number;
        at: number;
        tokens: Map<string, string | null>;
        resumedRows: Set<string>;
        /** When every row had lost the victim's lease (the sweeper's part). */
        released: number | null;
        after: number | null;
        /** What the rows not yet resumed, and their jobs, looked like past the goal: the cause of a slow one. */
        stuck: string | null;
        /** Those rows' job ids, to find them in the workers' lines. */
        stuckJobs: string[];
        victim: WorkerProcess | undefined;
        replacement: WorkerProcess | undefined;
      };
      const kills: Kill[] = [];
      /** Every kill, measured or not: a later kill can take down the worker that took a kill's work. */
      const everyKill: { kill: number; at: number; victim: number | undefined }[] = [];
      let stopped = false;
      const observe = async (k: Kill) => {
        const rows = await ctx.database.db
          .selectFrom("registration_syncs")
          .select(["registration_id", "state", "lease_token", "last_attempt_at", "updated_at"])
          .where("webinar_id", "=", webinarId)
          .where("registration_id", "in", [...k.tokens.keys()])
          .execute();
        const now = (Date.now() - k.at) / 1000;
        for (const r of rows) {
          const moved = r.lease_token !== k.tokens.get(r.registration_id);
          const attemptedSince = r.last_attempt_at !== null && new Date(r.last_attempt_at).getTime() > k.at;
          // Settled by a live worker since the kill (the victim is dead): a claim that ended in a
          // deferral (an account paused by a quota answer) within one 250 ms look shows only here.
          const settledSince = r.lease_token === null && new Date(r.updated_at).getTime() > k.at;
          if (r.state !== "pending" || (moved && r.lease_token !== null) || attemptedSince || settledSince)
            k.resumedRows.add(r.registration_id);
        }
        if (k.stuck === null && now > 10 && k.resumedRows.size < k.tokens.size) {
          const { text, jobIds } = await stuckRows(k);
          k.stuck = text;
          k.stuckJobs = jobIds;
        }
        if (
          k.released === null &&
          rows.every((r) => k.resumedRows.has(r.registration_id) || r.lease_token === null)
        )
          k.released = now;
        if (k.resumedRows.size === k.tokens.size) k.after = now;
      };
      /** The rows of a kill not yet resumed, with every job queued for them and the workers' connections. */
      const stuckRows = async (k: Kill) => {
        const ids = [...k.tokens.keys()].filter((id) => !k.resumedRows.has(id));
        const rows = await sql<{ jobs: { id: string }[] | null }>`
          SELECT s.registration_id, s.state, s.lease_until, s.lease_holder, s.attempts, s.last_error,
            s.last_attempt_at, s.updated_at,
            (SELECT json_agg(json_build_object('id', j.id, 'state', j.state, 'priority', j.priority,
                'start_after', j.start_after, 'created_on', j.created_on, 'started_on', j.started_on,
                'retry_count', j.retry_count) ORDER BY j.created_on)
             FROM pgboss.job j WHERE j.name = 'registration.sync'
               AND j.data->>'registrationId' = s.registration_id::text) AS jobs
          FROM registration_syncs s WHERE s.webinar_id = ${webinarId}
            AND s.registration_id IN (${sql.join(ids)})`.execute(ctx.database.db);
        const activity = await sql`
          SELECT application_name, state, wait_event_type, wait_event, now() - query_start AS running,
            left(query, 120) AS query
          FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND state <> 'idle'`.execute(ctx.database.db);
        return {
          text: JSON.stringify({ rows: rows.rows, activity: activity.rows }),
          jobIds: rows.rows.flatMap((r) => (r.jobs ?? []).map((j) => j.id)),
        };
      };
      /**
       * What the workers wrote from a second before a slow kill to 20 s after it: warnings, and
       * every line about the stuck rows' jobs (their start timing: fetch, row read, claim).
       */
      const linesAround = (k: Kill) => {
        const from = k.at - 1000;
        const to = k.at + 20_000;
        const roles = (w: WorkerProcess) =>
          w === k.victim ? " (victim)" : w === k.replacement ? " (replacement)" : "";
        const out = [
          `victim ${k.victim?.pid}, replacement ${k.replacement?.pid} started +${(((k.replacement?.startedAt ?? k.at) - k.at) / 1000).toFixed(1)} s`,
        ];
        for (const other of everyKill)
          if (other.at > k.at && other.at <= to)
            out.push(`+${((other.at - k.at) / 1000).toFixed(2)} s kill ${other.kill} of ${other.victim}`);
        for (const w of workers) {
          const running = w.lines.find((l) => l.text.includes("is running"));
          if (running && running.at >= from && running.at <= to)
            out.push(`+${((running.at - k.at) / 1000).toFixed(2)} s ${w.pid}${roles(w)}: is running`);
          for (const l of w.lines) {
            if (l.at < from || l.at > to) continue;
            const level = /"level":(\d+)/.exec(l.text)?.[1];
            const aboutStuck = k.stuckJobs.some((id) => l.text.includes(id));
            if (aboutStuck || (level !== undefined && Number(level) >= 40))
              out.push(
                `+${((l.at - k.at) / 1000).toFixed(2)} s ${w.pid}${roles(w)}: ${l.text.slice(0, 600)}`,
              );
          }
        }
        return out.slice(0, 120).join("\n#   ");
      };
      /** The start timing of work handed back (priority 1) across all workers: how long from fetch to claim. */
      const handedBackStarts = () => {
        const totals = workers.flatMap((w) =>
          w.lines.flatMap((l) => {
            if (!l.text.includes('"job":"registration.sync"') || !l.text.includes('"priority":1')) return [];
            const total = /"totalMs":(\d+)/.exec(l.text)?.[1];
            return total === undefined ? [] : [Number(total)];
          }),
        );
        totals.sort((a, b) => a - b);
        const at = (q: number) => totals[Math.min(totals.length - 1, Math.floor(q * totals.length))] ?? 0;
        return `${totals.length} handed-back registration jobs, fetch to claim: median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms, over 2 s: ${totals.filter((t) => t > 2000).length}`;
      };
      const poll = (async () => {
        while (!stopped) {
          for (const k of kills.filter((x) => x.after === null)) await observe(k).catch(() => {});
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      return {
        /** The pending rows a worker process holds now, by its liveness key. */
        async heldBy(pid: number) {
          const rows = await sql<{ registration_id: string; lease_token: string }>`
            SELECT s.registration_id, s.lease_token FROM registration_syncs s
            WHERE s.webinar_id = ${webinarId} AND s.state = 'pending' AND s.lease_until > now()
              AND s.lease_holder IN (
                SELECT l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.classid = ${LIVENESS_LOCK_CLASS}::oid
                  AND a.application_name = ${`auditorium-liveness-${pid}`})`.execute(ctx.database.db);
          return rows.rows;
        },
        killed(
          kill: number,
          at: number,
          held: { registration_id: string; lease_token: string }[],
          victim: WorkerProcess | undefined,
          replacement: WorkerProcess,
        ) {
          everyKill.push({ kill, at, victim: victim?.pid });
          if (held.length > 0)
            kills.push({
              kill,
              at,
              tokens: new Map(held.map((r) => [r.registration_id, r.lease_token])),
              resumedRows: new Set(),
              released: null,
              after: null,
              stuck: null,
              stuckJobs: [],
              victim,
              replacement,
            });
        },
        async report() {
          stopped = true;
          await poll;
          const times = kills.map((k) => k.after).filter((t): t is number => t !== null);
          process.stdout.write(
            `# time from kill to resumption of the victim's leased work (goal 15 s): ${kills
              .map(
                (k) =>
                  `kill ${k.kill} ${k.after === null ? "not measured" : `${k.after.toFixed(1)} s`} ` +
                  `(${k.tokens.size} rows, released ${k.released?.toFixed(1) ?? "-"} s)`,
              )
              .join(", ")}; max ${times.length ? Math.max(...times).toFixed(1) : "-"} s\n`,
          );
          process.stdout.write(`# ${handedBackStarts()}\n`);
          for (const k of kills.filter((x) => x.stuck !== null))
            process.stdout.write(
              `# kill ${k.kill}: not resumed 10 s after it: ${k.stuck}\n#   ${linesAround(k)}\n`,
            );
          return { measured: times.length, max: Math.max(0, ...times) };
        },
      };
    }

    test("ten SIGKILLs of a worker during one drain: nothing lost, nothing duplicated", async () => {
      // Each kill waits for its replacement to start (seconds on a loaded machine), so the
      // drain must be long enough to hold ten kills.
      const TOTAL = 800;
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 300 });
      await createRegistrations(ctx, org, eventId, TOTAL, "kill");
      const started = Date.now();
      const clock = resumptionClock(await webinarIdOf(ctx, eventId));
      workers.push(startWorker(workerEnv()), startWorker(workerEnv()));
      for (let kill = 1; kill <= 10; kill++) {
        const before = await synced(eventId);
        // Kill only while work is in flight: once each worker has made some progress.
        await waitUntil(
          `progress before kill ${kill}`,
          // A drain that ended first leaves the last kills nothing to measure, not a timeout.
          async () => (await synced(eventId)) >= Math.min(before + 20, TOTAL),
          120_000,
        );
        const victim = alive()[kill % 2];
        // Kill while the victim holds leased work (its leases last only as long as a provider
        // call, so most instants find none): up to 20 s of looking, then kill regardless.
        let held: Awaited<ReturnType<typeof clock.heldBy>> = [];
        for (const until = Date.now() + 20_000; victim?.pid && held.length === 0 && Date.now() < until; )
          held = await clock.heldBy(victim.pid).catch(() => []);
        victim?.kill("SIGKILL");
        const killedAt = Date.now();
        const replacement = startWorker(workerEnv());
        clock.killed(kill, killedAt, held, victim, replacement);
        workers.push(replacement);
        // The next kill waits for the replacement to be up: killing the survivor while the
        // replacement still boots would leave no live worker, and measure start-up, not resumption.
        await waitUntil(
          "the replacement worker running",
          async () => replacement.output.join("").includes("is running"),
          120_000,
        );
      }
      await expectExactlyOnce(eventId, TOTAL, "ten kills", started);
      const resumption = await clock.report();
      assert.ok(resumption.measured > 0, "at least one kill left leased work behind");
      // The goal is 15 s (printed above, with each kill's time: at most 7.7 s in 148 kills). The
      // slowest path the design allows is about 12 s: the survivor that saw the victim's lock gone
      // is killed too (release 6.5 s), and the worker that fetched the handed-back work dies
      // before its claim (given back 3–5 s later). 18 s leaves half again for a machine loaded by other
      // work; waiting out leases, resumed work queued behind a fetched batch, or a dead taker's
      // claim left to pg-boss's heartbeat check (18–22 s after the kill) fail it.
      assert.ok(resumption.max < 18, `the slowest resumption took ${resumption.max.toFixed(1)} s`);
    });

    test("PostgreSQL cuts every connection three times during a drain: recovery without loss", async () => {
      const { eventId } = await webinarSetup(ctx, org, { requestsPerSecond: 300 });
      // The first test's surviving workers would sync these while they are being created (most
      // of the 600 before the first cut), so a cut's wait for 40 more could never be met: that
      // was the "silent stall" (a drained queue, not a stuck worker). Created with no worker
      // running, the drain starts with the workers below and every cut lands inside it.
      await Promise.all(alive().map(stopWorker));
      await createRegistrations(ctx, org, eventId, 600, "cut");
      const started = Date.now();
      while (alive().length < 2) workers.push(startWorker(workerEnv()));
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      const dbName = new URL(ctx.database.connectionString as string).pathname.slice(1);
      let terminated = 0;
      try {
        for (let cut = 1; cut <= 3; cut++) {
          const before = await synced(eventId);
          // A cut after the drain would test nothing; say so at once instead of waiting 120 s.
          assert.ok(before + 40 <= 600, `the drain finished before cut ${cut} (${before} synced)`);
          await waitUntil(
            `progress before cut ${cut}`,
            async () => (await synced(eventId)) >= before + 40,
            120_000,
          ).catch((e) => {
            const tails = workers.map(
              (w) => `exit ${w.exitCode ?? w.signalCode ?? "-"}: ${w.output.join("").slice(-3000)}`,
            );
            throw new Error(`${e.message}; worker output: ${tails.join("\n---\n")}`);
          });
          const res = await admin.query(
            "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [dbName],
          );
          terminated += res.rows[0].n;
        }
      } finally {
        await admin.end();
      }
      process.stdout.write(`# connection cuts: ${terminated} backends terminated in 3 cuts\n`);
      await expectExactlyOnce(eventId, 600, "connection cuts", started);
      assert.ok(alive().length >= 2, "the worker processes survive the cuts");
    });
  },
  { only: "postgres" },
);
