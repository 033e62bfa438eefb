import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  type BenchResult,
  buildBenchApp,
  createBenchDatabase,
  createOrg,
  intakeServeEnv,
  intakeTargets,
  log,
  num,
  type Options,
  round,
} from "./lib.ts";
import { freePort, pgbenchInsert, pgLoopInsert, startProcess, stopProcess, sustainableRate } from "./load.ts";

/**
 * Intake, measured fairly: the app runs as its own `serve --processes N` process(es) on server
 * PostgreSQL, the load comes from autocannon in another process, and the result is the
 * sustainable rate — the most registrations a second answered with p99 ≤ 250 ms (full speed
 * first, then fewer connections until the p99 holds: bench/load.ts). Measured for the API
 * (bearer token, an on-site event) with 1 and 2 processes and for the public form, against two
 * baselines in the same run on the same database and concurrency: a raw single-row INSERT +
 * commit (pgbench when installed, else a `pg` loop here) and a minimal Fastify + zod service
 * doing one INSERT per request (bench/minimal-service.ts: what Node itself allows). A third
 * measurement splits the gap: the same minimal service writing the rows an API registration
 * is (a contact and a registration, in the product's tables) without deciding anything.
 *
 * Admission control is raised out of the way (AUDITORIUM_INTAKE_MAX_IN_FLIGHT 10000): this
 * measures capacity, the fault suite's load test measures overload.
 *
 * Options: --seconds 8 (each measurement), --concurrency 20, --public-concurrency 100 (the
 * public form answers no sooner than 150 ms, so it needs more in flight for the same rate),
 * --pool 10, --p99 250, --processes 1,2.
 */
export async function run(options: Options): Promise<BenchResult> {
  const seconds = num(options, "seconds", 8);
  const concurrency = num(options, "concurrency", 20);
  const publicConcurrency = num(options, "public-concurrency", 100);
  const poolSize = num(options, "pool", 10);
  const p99Ms = num(options, "p99", 250);
  const processCounts = (options.processes ?? "1,2").split(",").map(Number);
  const search = { seconds, p99Ms };

  const bench = await createBenchDatabase(poolSize);
  const setup = await buildBenchApp(bench.database);
  const started: Awaited<ReturnType<typeof startProcess>>[] = [];
  try {
    const org = await createOrg(bench.database, setup.services);
    const targets = await intakeTargets(setup.app, org.token, "Bench");

    // 1. raw INSERT + commit.
    const raw = new pg.Pool({ connectionString: bench.url, max: concurrency });
    await raw.query(
      "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, email text NOT NULL, first_name text, last_name text, created_at timestamptz NOT NULL DEFAULT now())",
    );
    log(`intake: raw INSERT + commit, ${concurrency} connections, ${seconds} s`);
    const viaPgbench = await pgbenchInsert(bench.url, concurrency, seconds);
    const rawRate = viaPgbench ?? (await pgLoopInsert(raw, concurrency, seconds));
    const rawHow =
      viaPgbench !== undefined
        ? `pgbench, ${concurrency} clients`
        : `pg pool of ${concurrency} in the bench process (pgbench is not installed)`;
    await raw.end();

    // 2. the minimal Fastify + zod service: one INSERT, then a registration's rows.
    const minimalService = async (label: string, env: Record<string, string>) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = await startProcess(
        ["bench/minimal-service.ts"],
        { DATABASE_URL: bench.url, PORT: String(port), AUDITORIUM_DB_POOL_SIZE: String(poolSize), ...env },
        async () => (await fetch(url)).status > 0,
      );
      started.push(child);
      const result = await sustainableRate(
        label,
        {
          url: `${url}/register`,
          headers: { "content-type": "application/json" },
          body: targets.contactBody,
        },
        { ...search, connections: concurrency },
      );
      await stopProcess(child);
      return result;
    };
    const minimalResult = await minimalService("minimal service", {});
    const minimalRowsResult = await minimalService("minimal service, a registration's rows", {
      MINIMAL_ROWS: "registration",
      MINIMAL_ORG_ID: org.id,
      MINIMAL_EVENT_ID: targets.rowsEventId,
    });

    // 3. the app, as N HTTP processes.
    const app: Record<
      number,
      { api: Awaited<ReturnType<typeof sustainableRate>>; form?: typeof minimalResult }
    > = {};
    for (const processes of processCounts) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      log(`intake: serve --processes ${processes}`);
      const serve = await startProcess(
        [path.resolve("src/main.ts"), "serve", "--processes", String(processes)],
        intakeServeEnv({ databaseUrl: bench.url, port, dataDir: setup.dataDir, poolSize }),
        async () => (await fetch(`${base}/readyz`)).ok,
      );
      started.push(serve);
      const api = await sustainableRate(`API, ${processes} process(es)`, targets.api(base), {
        ...search,
        connections: concurrency,
      });
      // The public form once, with one process (its floor, not its work, sets its latency).
      const form =
        processes === processCounts[0]
          ? await sustainableRate(`public form, ${processes} process(es)`, targets.public(base), {
              ...search,
              connections: publicConcurrency,
            })
          : undefined;
      app[processes] = { api, ...(form && { form }) };
      await stopProcess(serve);
    }

    const stored = await bench.database.pool
      ?.query<{ n: string }>("SELECT count(*)::text AS n FROM registrations WHERE event_id = $1", [
        targets.apiEventId,
      ])
      .then((r) => Number(r.rows[0]?.n));
    const answered2xx = Object.values(app)
      .flatMap((a) => [a.api.warmup, ...a.api.steps])
      .reduce((sum, s) => sum + s.ok, 0);

    const rateOf = (r: { best?: { rate: number } }) => r.best?.rate ?? 0;
    const first = app[processCounts[0] as number];
    const apiRate = first ? rateOf(first.api) : 0;
    const minimalRate = rateOf(minimalResult);
    const minimalRowsRate = rateOf(minimalRowsResult);
    const describe = (r: Awaited<ReturnType<typeof sustainableRate>>) =>
      r.best
        ? `p50/p99 ${r.best.p50} / ${r.best.p99} ms${r.best === r.full ? ", full speed" : ` at ${r.best.connections} connections`}; full speed ${round(r.full.rate)}/s at p99 ${r.full.p99} ms`
        : `p99 never ≤ ${p99Ms} ms (full speed ${round(r.full.rate)}/s at p99 ${r.full.p99} ms)`;
    const rows: BenchResult["rows"] = [
      ["raw INSERT + commit /s", round(rawRate), rawHow],
      [
        "minimal Fastify + zod + INSERT /s",
        round(minimalRate),
        `${concurrency} connections; ${describe(minimalResult)}`,
      ],
      [
        "minimal Fastify + zod, a registration's rows /s",
        round(minimalRowsRate),
        `contact + registration in the product's tables, one statement, nothing decided; ${describe(minimalRowsResult)}`,
      ],
    ];
    for (const [n, a] of Object.entries(app)) {
      rows.push([`API registrations/s, ${n} process(es)`, round(rateOf(a.api)), describe(a.api)]);
      if (a.form)
        rows.push([
          `public form registrations/s, ${n} process(es)`,
          round(rateOf(a.form)),
          `${publicConcurrency} connections; ${describe(a.form)}`,
        ]);
    }
    rows.push(
      ["ratio API (1 process) ÷ raw INSERT", round(apiRate / rawRate, 3), "goal ≥ 0.5"],
      ["ratio API (1 process) ÷ minimal service", round(apiRate / minimalRate, 3), "goal ≥ 0.8"],
      ["ratio minimal service ÷ raw INSERT", round(minimalRate / rawRate, 3), "what Node allows"],
      [
        "ratio API (1 process) ÷ minimal service writing a registration's rows",
        round(apiRate / minimalRowsRate, 3),
        "the API's own work; the rest of the gap to the minimal service is the rows",
      ],
      [
        "API rows stored ≥ 201s counted",
        `${stored} / ${answered2xx}`,
        "a request in flight when a measurement stops is stored, not counted; exact: test/api/intake-admission.test.ts",
      ],
      [
        "load average at the end",
        os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(" "),
        `${os.cpus().length} cores`,
      ],
    );
    return {
      name: "intake",
      rows,
      json: {
        seconds,
        concurrency,
        publicConcurrency,
        poolSize,
        p99Ms,
        raw: round(rawRate),
        minimal: minimalResult,
        minimalRows: minimalRowsResult,
        app,
        ratios: {
          apiOverRaw: round(apiRate / rawRate, 3),
          apiOverMinimal: round(apiRate / minimalRate, 3),
          minimalOverRaw: round(minimalRate / rawRate, 3),
          apiOverMinimalRows: round(apiRate / minimalRowsRate, 3),
        },
        stored,
        loadAverage: os.loadavg(),
      },
    };
  } finally {
    for (const child of started) await stopProcess(child);
    await setup.close().catch(() => {});
    await bench.drop();
  }
}
