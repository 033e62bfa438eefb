import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { buildServer } from "../scripts/build-server.mjs";
import {
  type BenchResult,
  buildBenchApp,
  createBenchDatabase,
  createOrg,
  log,
  num,
  type Options,
  round,
  sleep,
  webinarSetup,
} from "./lib.ts";
import { startSimulatorProcess } from "./simulator-process.ts";

/**
 * N registrations pushed to the ON24 simulator (quota R requests/s per account, answered
 * 403 as ON24 does) by `auditorium worker` processes on server PostgreSQL.
 *
 * Options: --registrations 10000, --rate 100 (R, the simulator quota per 1 s window),
 * --config-rps R (the configuration's requestsPerSecond), --workers 2, --concurrency 25
 * (AUDITORIUM_WORKER_CONCURRENCY), --latency 150 (ms the simulator adds to every request: the
 * round trip to ON24 — one HTTPS request across the Atlantic and ON24's own work; we cannot
 * measure the real one from here, and with --latency 50 a one-at-a-time loop already does
 * 19/s, a fifth of R), --quota-pause 30 (AUDITORIUM_QUOTA_PAUSE_SECONDS, product default),
 * --timeout 600 (s).
 */
export interface DrainSettings {
  registrations: number;
  rate: number;
  configRps: number;
  workers: number;
  concurrency: number;
  latencyMs: number;
  quotaPauseSeconds: number;
  timeoutSeconds: number;
}

export function drainSettings(options: Options): DrainSettings {
  const rate = num(options, "rate", 100);
  return {
    registrations: num(options, "registrations", 10_000),
    rate,
    configRps: num(options, "config-rps", rate),
    workers: num(options, "workers", 2),
    concurrency: num(options, "concurrency", 25),
    latencyMs: num(options, "latency", 150),
    quotaPauseSeconds: num(options, "quota-pause", 30),
    timeoutSeconds: num(options, "timeout", 600),
  };
}

export interface DrainMeasurement {
  settings: DrainSettings;
  /** Registrations/s from the first worker being ready to the last registration synced. */
  perSecond: number;
  seconds: number;
  workerStartSeconds: number;
  synced: number;
  failed: number;
  /** Not synced when the measurement ended (still pending/retrying, or gone). */
  lost: number;
  /** Still queued when the measurement ended (only when it timed out). */
  pending: number;
  /** Registrations with no sync row at all: dropped before reaching the queue. */
  missing: number;
  timedOut: boolean;
  duplicates: number;
  heldAtOn24: number;
  quotaAnswers: number;
  requests: number;
  busiestSecond: number;
  /** The median of the per-second request counts at the simulator: the steady rate, without ramp and tail. */
  medianSecond: number;
  /** Requests at the simulator in each of the first ≈1 s samples: the ramp. */
  firstSeconds: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** `auditorium worker` as a deployment runs it: compiled (`dist/`, built by measureDrain), no TypeScript loader. */
function startWorker(env: Record<string, string>): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, [path.resolve("dist/main.js"), "worker"], {
    env: { ...process.env, AUDITORIUM_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  child.stdout?.on("data", (c: Buffer) => child.output.push(c.toString()));
  child.stderr?.on("data", (c: Buffer) => child.output.push(c.toString()));
  return child;
}

async function stopWorker(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

export async function measureDrain(settings: DrainSettings): Promise<DrainMeasurement> {
  const { registrations: total, rate } = settings;
  const sim = await startSimulatorProcess({
    quota: { limit: rate, windowMs: 1000 },
    latencyMs: settings.latencyMs,
  });
  // Requests per wall-clock second at the simulator, to check the quota window is respected.
  const perSecond = new Map<number, number>();
  const bench = await createBenchDatabase(10);
  const workers: ReturnType<typeof startWorker>[] = [];
  let app: Awaited<ReturnType<typeof buildBenchApp>> | undefined;
  try {
    app = await buildBenchApp(bench.database, {
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
    });
    const org = await createOrg(bench.database, app.services);
    const { eventId, webinarId, providerWebinarId } = await webinarSetup(
      app,
      bench.database,
      org.token,
      settings.configRps,
    );
    log(`drain: creating ${total} registrations (jobs queued, no worker yet)`);
    const created = Date.now();
    let next = 0;
    const services = app.services;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= total) return;
          await services.registrations.register(org.id, eventId, {
            contact: {
              firstName: `W${i}`,
              lastName: "Drain",
              email: `drain${i}@example.com`,
              company: "Acme",
            },
            sessionIds: [],
            source: "api",
          });
          if ((i + 1) % 2000 === 0) log(`drain: ${i + 1} created`);
        }
      }),
    );
    log(`drain: created in ${((Date.now() - created) / 1000).toFixed(1)} s`);

    const countStates = async () => {
      const rows = await bench.database.db
        .selectFrom("registration_syncs")
        .select(["state", (eb) => eb.fn.countAll<string>().as("n")])
        .where("webinar_id", "=", webinarId)
        .groupBy("state")
        .execute();
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) as Record<string, number>;
    };

    const before = await sim.requests();
    const env = {
      DATABASE_URL: bench.url,
      AUDITORIUM_KEYRING_DIR: path.join(app.dataDir, "keys"),
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
      AUDITORIUM_QUOTA_PAUSE_SECONDS: String(settings.quotaPauseSeconds),
      AUDITORIUM_WORKER_CONCURRENCY: String(settings.concurrency),
      AUDITORIUM_DB_POOL_SIZE: "6",
    };
    await buildServer();
    const spawned = Date.now();
    let firstReady = 0;
    log(`drain: starting ${settings.workers} worker processes`);
    for (let i = 0; i < settings.workers; i++) {
      const w = startWorker(env);
      w.stdout?.on("data", (c: Buffer) => {
        if (!firstReady && c.toString().includes("is running")) firstReady = Date.now();
      });
      workers.push(w);
    }
    const deadline = spawned + settings.timeoutSeconds * 1000;
    let states: Record<string, number> = {};
    let lastLog = Date.now();
    let lastRequests = before.total;
    let lastTick = Date.now();
    for (;;) {
      await sleep(250);
      const now = Date.now();
      if (now - lastTick >= 1000) {
        const r = (await sim.requests()).total;
        perSecond.set(perSecond.size, ((r - lastRequests) * 1000) / (now - lastTick));
        lastRequests = r;
        lastTick = now;
      }
      states = await countStates();
      const done = (states.synced ?? 0) + (states.failed ?? 0);
      if (now - lastLog > 10_000) {
        log(`drain: ${JSON.stringify(states)} after ${((now - spawned) / 1000).toFixed(0)} s`);
        lastLog = now;
      }
      if (done >= total || now > deadline) break;
      if (workers.every((w) => w.exitCode !== null)) {
        throw new Error(
          `all workers exited: ${workers.map((w) => w.output.join("").slice(-1500)).join("\n---\n")}`,
        );
      }
    }
    const finished = Date.now();
    const start = firstReady || spawned;
    const seconds = (finished - start) / 1000;
    await Promise.all(workers.map(stopWorker));
    const report = await sim.registrants(Number(providerWebinarId));
    const after = await sim.requests();
    const synced = states.synced ?? 0;
    return {
      settings,
      perSecond: synced / seconds,
      seconds,
      workerStartSeconds: (start - spawned) / 1000,
      synced,
      failed: states.failed ?? 0,
      lost: total - synced,
      pending: states.pending ?? 0,
      missing: total - Object.values(states).reduce((a, b) => a + b, 0),
      timedOut: finished > deadline,
      duplicates: report.registrants.filter((r) => r.createCount !== 1).length,
      heldAtOn24: report.count,
      quotaAnswers: after.quotaRefused - before.quotaRefused,
      requests: after.total - before.total,
      busiestSecond: Math.max(0, ...perSecond.values()),
      medianSecond: median([...perSecond.values()]),
      firstSeconds: [...perSecond.values()].slice(0, 12).map((n) => round(n)),
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await app?.close().catch(() => {});
    await bench.drop();
    await sim.close();
  }
}

export function drainRows(m: DrainMeasurement): BenchResult["rows"] {
  const s = m.settings;
  return [
    [
      "setup",
      `${s.registrations} reg, R=${s.rate}/s`,
      `${s.workers} workers × concurrency ${s.concurrency}, config ${s.configRps} rps, latency ${s.latencyMs} ms, quota pause ${s.quotaPauseSeconds} s`,
    ],
    ["achieved registrations/s", round(m.perSecond), `${round(m.seconds)} s from first worker ready`],
    ["worker start to ready (s)", round(m.workerStartSeconds, 2)],
    [
      "ratio achieved ÷ R",
      round(m.perSecond / s.rate, 3),
      "goal ≥ 0.97 with 0 quota answers (quiet machine)",
    ],
    [
      "synced / failed / not synced",
      `${m.synced} / ${m.failed} / ${m.lost}`,
      m.timedOut
        ? `TIMED OUT after ${s.timeoutSeconds} s: ${m.pending} still pending, ${m.missing} without a sync row`
        : `${m.missing} without a sync row`,
    ],
    ["duplicates (createCount ≠ 1)", m.duplicates, `held at ON24: ${m.heldAtOn24}`],
    ["quota answers (403)", m.quotaAnswers],
    ["requests to ON24", m.requests, `${round(m.requests / Math.max(1, m.synced), 3)} per registration`],
    ["busiest second (requests)", round(m.busiestSecond), "sampled ≈1 s at the simulator"],
    [
      "median second ÷ R",
      round(m.medianSecond / s.rate, 3),
      "steady rate at the simulator (the limiter's room), without ramp and tail",
    ],
  ];
}

export function drainJson(m: DrainMeasurement) {
  return {
    ...m.settings,
    perSecond: round(m.perSecond),
    seconds: round(m.seconds),
    workerStartSeconds: round(m.workerStartSeconds, 2),
    ratio: round(m.perSecond / m.settings.rate, 3),
    synced: m.synced,
    failed: m.failed,
    lost: m.lost,
    pending: m.pending,
    missing: m.missing,
    timedOut: m.timedOut,
    duplicates: m.duplicates,
    quotaAnswers: m.quotaAnswers,
    requests: m.requests,
    busiestSecond: round(m.busiestSecond),
    medianSecondRatio: round(m.medianSecond / m.settings.rate, 3),
    firstSeconds: m.firstSeconds,
    goal: 0.97,
    met: m.perSecond / m.settings.rate >= 0.97 && m.duplicates === 0 && m.quotaAnswers === 0,
  };
}

/** The last drain measured in this process, for drain-vs-sequential in a full run. */
export let lastDrain: DrainMeasurement | undefined;

export async function run(options: Options): Promise<BenchResult> {
  const m = await measureDrain(drainSettings(options));
  lastDrain = m;
  return { name: "drain", rows: drainRows(m), json: drainJson(m) };
}
