import path from "node:path";
import { sql } from "kysely";
import { startZoomSimulator } from "../simulators/zoom/server.ts";
import { ProviderError } from "../src/providers/contract.ts";
import { createZoomProvider } from "../src/providers/zoom/adapter.ts";
import { startWorker, stopWorker } from "../test/webinars/workers.ts";
import {
  type BenchApp,
  type BenchResult,
  buildBenchApp,
  createBenchDatabase,
  createOrg,
  createRegistrations,
  log,
  num,
  type Options,
  round,
  sleep,
  webinarSetup,
} from "./lib.ts";

/**
 * The drain with Zoom: N registrations queued, then `auditorium worker` processes push them
 * to the Zoom simulator (its default per-second limits, --latency ms per request), where the
 * sync engine's batch path (bulk-register.ts) sends backlogs 30 at a time through
 * batch_registrants. Baseline in the same run: one `register` call at a time through the same
 * Zoom adapter against the same simulator (a sample, waiting 1 s after a 429).
 *
 * Options: --registrations 1500, --workers 1, --latency 50, --sample 100, --timeout 300 (s).
 */
export async function run(options: Options): Promise<BenchResult> {
  const total = num(options, "registrations", 1500);
  const workers = num(options, "workers", 1);
  const latencyMs = num(options, "latency", 50);
  const sample = num(options, "sample", 100);
  const timeoutMs = num(options, "timeout", 300) * 1000;
  const zoom = await startZoomSimulator({
    accounts: [{ accountId: ZOOM.accountId, clientId: ZOOM.clientId, clientSecret: ZOOM.clientSecret }],
    seed: 5,
    knobs: { latencyMs },
  });
  const env = { AUDITORIUM_ZOOM_API_URL: zoom.apiUrl, AUDITORIUM_ZOOM_OAUTH_URL: zoom.oauthUrl };
  const bench = await createBenchDatabase(10);
  let app: BenchApp | undefined;
  const procs: ReturnType<typeof startWorker>[] = [];
  try {
    app = await buildBenchApp(bench.database, env);
    const org = await createOrg(bench.database, app.services);
    const setup = await webinarSetup(app, bench.database, org.token, 40, {
      configuration: { provider: "zoom", settings: {}, credentials: ZOOM },
    });
    log(`bulk: creating ${total} registrations (jobs queued, no worker yet)`);
    await createRegistrations(app.services, org.id, setup.eventId, total, "bulk");
    const before = { ...zoom.state.requests.byEndpoint };
    const t0 = Date.now();
    for (let i = 0; i < workers; i++)
      procs.push(
        startWorker({
          DATABASE_URL: bench.url,
          AUDITORIUM_KEYRING_DIR: path.join(app.dataDir, "keys"),
          AUDITORIUM_DB_POOL_SIZE: "6",
          ...env,
        }),
      );
    let synced = 0;
    let firstReady = 0;
    for (const p of procs)
      p.stdout?.on("data", (c: Buffer) => {
        if (!firstReady && c.toString().includes("is running")) firstReady = Date.now();
      });
    while (Date.now() - t0 < timeoutMs) {
      // Short polls: the drain takes seconds, and the poll interval is part of the time measured.
      await sleep(50);
      const row = await bench.database.db
        .selectFrom("registration_syncs")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("webinar_id", "=", setup.webinarId)
        .where("state", "=", "synced")
        .executeTakeFirstOrThrow();
      synced = Number(row.n);
      if (synced >= total) break;
      if (procs.every((p) => p.exitCode !== null))
        throw new Error(`workers exited: ${procs.map((p) => p.output.join("").slice(-1000)).join("\n")}`);
    }
    const seconds = (Date.now() - (firstReady || t0)) / 1000;
    await Promise.all(procs.map(stopWorker));
    const delta = (endpoint: string) =>
      (zoom.state.requests.byEndpoint[endpoint] ?? 0) - (before[endpoint] ?? 0);
    const batchCalls = delta(BATCH);
    const singleCalls = delta(SINGLE);
    const drainRate = synced / seconds;
    // Jobs a worker fetched: the batch lead deletes the queued jobs of the rows it stored.
    const jobs = await sql<{ fetched: number; left: number }>`
      SELECT count(*) FILTER (WHERE state >= 'active')::int AS fetched,
        count(*) FILTER (WHERE state < 'active')::int AS left
      FROM pgboss.job WHERE name = 'registration.sync' AND data->>'webinarId' = ${setup.webinarId}`.execute(
      bench.database.db,
    );
    const { fetched = 0, left = 0 } = jobs.rows[0] ?? {};

    log(`bulk: ${sample} sequential register calls`);
    const provider = createZoomProvider({ apiUrl: zoom.apiUrl, oauthUrl: zoom.oauthUrl });
    const account = {
      credentials: Object.fromEntries(Object.entries(ZOOM).map(([k, v]) => [k, Buffer.from(v)])),
      settings: {},
    };
    const s0 = performance.now();
    for (let i = 0; i < sample; i++) {
      for (;;) {
        try {
          await provider.register(account, setup.providerKey, {
            email: `seq${i}@example.com`,
            firstName: `S${i}`,
            lastName: "Sequential",
            company: "Acme",
            jobTitle: null,
          });
          break;
        } catch (error) {
          if (error instanceof ProviderError && error.retryable) await sleep(1000);
          else throw error;
        }
      }
    }
    const sequential = sample / ((performance.now() - s0) / 1000);
    const ratio = drainRate / sequential;
    return {
      name: "bulk",
      rows: [
        [
          "drain registrations/s (Zoom, batch path)",
          round(drainRate),
          `${synced}/${total} synced in ${round(seconds)} s, ${workers} worker(s), latency ${latencyMs} ms`,
        ],
        [
          "batch_registrants calls",
          batchCalls,
          `${round(synced / Math.max(1, batchCalls), 1)} registrations per call if all batched`,
        ],
        ["single registrant calls", singleCalls, "leftovers and retries on the single path"],
        ["registration.sync jobs fetched", fetched, `${left} still queued when the workers stopped`],
        ["sequential registrations/s", round(sequential), `${sample} adapter calls one at a time`],
        ["ratio drain ÷ sequential", round(ratio, 2), "goal ≥ 10"],
      ],
      json: {
        registrations: total,
        workers,
        latencyMs,
        synced,
        seconds: round(seconds),
        perSecond: round(drainRate),
        batchCalls,
        singleCalls,
        jobsFetched: fetched,
        jobsLeft: left,
        sequentialPerSecond: round(sequential),
        sample,
        ratio: round(ratio, 2),
        goal: 10,
        met: ratio >= 10 && synced === total,
      },
    };
  } finally {
    await Promise.all(procs.map(stopWorker));
    await app?.close().catch(() => {});
    await bench.drop();
    await zoom.close();
  }
}

const BATCH = "POST /webinars/{webinarId}/batch_registrants";
const SINGLE = "POST /webinars/{webinarId}/registrants";

/** The Zoom account the simulator knows here (a test account, not a real secret). */
const ZOOM = {
  accountId: "acct-bench-bulk",
  clientId: "client-bench-bulk",
  clientSecret: "bench-bulk-client-secret",
  webhookSecretToken: "bench-bulk-webhook-secret",
};
