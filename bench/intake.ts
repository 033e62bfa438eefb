import type { AddressInfo } from "node:net";
import pg from "pg";
import {
  type BenchResult,
  buildBenchApp,
  createBenchDatabase,
  createOrg,
  log,
  num,
  type Options,
  round,
  runConcurrent,
  startSimulator,
  webinarSetup,
} from "./lib.ts";

/**
 * Registrations through the public API (bearer token, real HTTP, keep-alive, the sync job
 * enqueued in the same transaction, no worker running) against a raw single-row INSERT +
 * commit with `pg` at the same concurrency on the same database.
 *
 * Options: --requests 3000, --concurrency 20, --warmup 200, --pool 10 (the app's pool,
 * AUDITORIUM_DB_POOL_SIZE default).
 */
export async function run(options: Options): Promise<BenchResult> {
  const total = num(options, "requests", 3000);
  const concurrency = num(options, "concurrency", 20);
  const warmup = num(options, "warmup", 200);
  const poolSize = num(options, "pool", 10);
  // Diagnostic: spread the registrations over several webinar events (default one event).
  const eventCount = num(options, "events", 1);

  const sim = await startSimulator();
  const bench = await createBenchDatabase(poolSize);
  let app: Awaited<ReturnType<typeof buildBenchApp>> | undefined;
  try {
    app = await buildBenchApp(bench.database, {
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
    });
    const org = await createOrg(bench.database, app.services);
    const eventIds: string[] = [];
    for (let e = 0; e < eventCount; e++)
      eventIds.push((await webinarSetup(app, bench.database, org.token, 100)).eventId);
    await app.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (app.app.server.address() as AddressInfo).port;
    const url = (i: number) =>
      `http://127.0.0.1:${port}/api/v1/events/${eventIds[i % eventIds.length]}/registrations`;
    const headers = { authorization: `Bearer ${org.token}`, "content-type": "application/json" };

    async function register(prefix: string, i: number) {
      const res = await fetch(url(i), {
        method: "POST",
        headers,
        body: JSON.stringify({
          contact: {
            firstName: `F${i}`,
            lastName: "Bench",
            email: `${prefix}${i}@example.com`,
            company: "Acme",
          },
        }),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`registration: ${res.status} ${text}`);
    }

    log(`intake: warm-up ${warmup} API + ${warmup} raw`);
    await runConcurrent(warmup, concurrency, (i) => register("warm", i));

    const raw = new pg.Pool({ connectionString: bench.url, max: concurrency });
    await raw.query(
      "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, email text NOT NULL, first_name text, last_name text, created_at timestamptz NOT NULL DEFAULT now())",
    );
    const insert = (prefix: string, i: number) =>
      raw
        .query("INSERT INTO bench_raw (email, first_name, last_name) VALUES ($1, $2, $3)", [
          `${prefix}${i}@example.com`,
          `F${i}`,
          "Bench",
        ])
        .then(() => {});
    await runConcurrent(warmup, concurrency, (i) => insert("warm", i));

    log(`intake: ${total} raw INSERTs, concurrency ${concurrency}`);
    const baseline = await runConcurrent(total, concurrency, (i) => insert("m", i));
    log(`intake: ${total} API registrations, concurrency ${concurrency}`);
    const api = await runConcurrent(total, concurrency, (i) => register("m", i));
    await raw.end();

    const jobs = await bench.database.pool
      ?.query<{ n: string }>("SELECT count(*)::text AS n FROM pgboss.job WHERE name = 'registration.sync'")
      .then((r) => Number(r.rows[0]?.n))
      .catch(() => Number.NaN);
    const ratio = api.perSecond / baseline.perSecond;
    return {
      name: "intake",
      rows: [
        [
          "API registrations/s",
          round(api.perSecond),
          `${total} req, concurrency ${concurrency}, app pool ${poolSize}, ${eventCount} event(s)`,
        ],
        ["API latency p50/p95/p99 ms", `${round(api.p50)} / ${round(api.p95)} / ${round(api.p99)}`],
        ["raw INSERT+commit/s (pg)", round(baseline.perSecond), `pool ${concurrency}`],
        [
          "raw latency p50/p95/p99 ms",
          `${round(baseline.p50)} / ${round(baseline.p95)} / ${round(baseline.p99)}`,
        ],
        ["registration.sync jobs enqueued", jobs ?? "n/a", `expected ${total + warmup}`],
        ["ratio API ÷ raw", round(ratio, 3), "goal ≥ 0.5"],
      ],
      json: {
        requests: total,
        concurrency,
        appPoolSize: poolSize,
        events: eventCount,
        api: {
          perSecond: round(api.perSecond),
          p50: round(api.p50),
          p95: round(api.p95),
          p99: round(api.p99),
        },
        raw: {
          perSecond: round(baseline.perSecond),
          p50: round(baseline.p50),
          p95: round(baseline.p95),
          p99: round(baseline.p99),
        },
        jobsEnqueued: jobs,
        ratio: round(ratio, 3),
        goal: 0.5,
        met: ratio >= 0.5,
      },
    };
  } finally {
    await app?.close().catch(() => {});
    await bench.drop();
    await sim.close();
  }
}
