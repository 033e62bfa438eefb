import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { buildApp, type Services } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { type DatabaseHandle, openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { uuidv7 } from "../src/lib/ids.ts";
import { createLogger } from "../src/lib/logger.ts";
import type { Runtime } from "../src/runtime.ts";
import type { LoadTarget } from "./load.ts";

/** Server PostgreSQL the benchmarks create their databases on (as the test harness does). */
export const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

export type Options = Record<string, string>;

export function num(options: Options, key: string, fallback: number): number {
  const raw = options[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${key} must be a number, got ${raw}`);
  return value;
}

/** One benchmark's outcome: table rows for people, a JSON object for machines. */
export interface BenchResult {
  name: string;
  rows: [metric: string, value: string | number, note?: string][];
  json: Record<string, unknown>;
}

/**
 * Dropping a database WITH (FORCE) terminates connections some pools still hold idle (pg-boss
 * leaves a few); their 'error' event must not end the benchmark.
 */
export function ignoreTerminatedConnections() {
  process.on("uncaughtException", (error: Error & { code?: string }) => {
    if (error.code === "57P01") return;
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    process.exit(1);
  });
}

export function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`);
}

/** The machine's CPU time so far, all cores: idle and total, in clock ticks (/proc/stat). */
async function cpuTicks(): Promise<{ idle: number; total: number } | undefined> {
  const stat = await readFile("/proc/stat", "utf8").catch(() => undefined);
  const fields = stat?.split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 5) return undefined;
  // idle + iowait count as idle: a disk flush from the run before is not CPU taken from this one.
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * Waits until the machine is quiet: the share of idle CPU over 2 s at least `idle` (0.9), for
 * at most `maxSeconds`. A benchmark that follows another would otherwise start while the last
 * one's database is still being dropped and checkpointed, and measure that too (issue 18's
 * drain goal is for a quiet machine). Returns the idle share it started with (null: no /proc).
 */
export async function waitForQuiet(
  idle = 0.9,
  maxSeconds = 90,
): Promise<{ idle: number | null; waitedSeconds: number }> {
  const started = Date.now();
  for (;;) {
    const before = await cpuTicks();
    await sleep(2000);
    const after = await cpuTicks();
    if (!before || !after) return { idle: null, waitedSeconds: 0 };
    const share = (after.idle - before.idle) / Math.max(1, after.total - before.total);
    const waitedSeconds = round((Date.now() - started) / 1000);
    if (share >= idle || waitedSeconds >= maxSeconds) return { idle: round(share, 3), waitedSeconds };
  }
}

/** A database of its own on the server, created here and dropped by `drop()`. */
export async function createBenchDatabase(poolSize: number) {
  const name = `auditorium_b_${uuidv7().replace(/-/g, "").slice(-16)}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize });
  await migrateToLatest(database.db);
  return {
    url: url.toString(),
    database,
    async drop() {
      await database.close().catch(() => {});
      const a = new pg.Client({ connectionString: SERVER_URL });
      await a.connect();
      const left = await a.query(
        "SELECT application_name, state, left(query, 80) AS q FROM pg_stat_activity WHERE datname = $1",
        [name],
      );
      if (left.rows.length)
        log(`drop: ${left.rows.length} connections left: ${JSON.stringify(left.rows.slice(0, 3))}`);
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

// The simulator account and start-up are the tests' own (one definition for both).
import { ON24_ACCOUNT } from "../test/webinars/fixtures.ts";

export { ON24_ACCOUNT, type Simulator, startSimulator } from "../test/webinars/fixtures.ts";

export interface BenchApp {
  app: FastifyInstance;
  services: Services;
  runtime: Runtime;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The app as `serve --no-worker` builds it, on a given database, logging at info into a sink
 * (the serialisation cost stays, the terminal stays readable).
 */
export async function buildBenchApp(
  database: DatabaseHandle,
  env: Record<string, string> = {},
): Promise<BenchApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-bench-"));
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const config = loadConfig({
    AUDITORIUM_DATA_DIR: dataDir,
    AUDITORIUM_PUBLIC_RATE_LIMIT: "100000",
    // The simulators listen on loopback.
    AUDITORIUM_ALLOW_PRIVATE_HOSTS: "127.0.0.0/8,::1,localhost",
    ...env,
  });
  const built = await buildApp({ config, database, logger: createLogger("info", sink) });
  await built.app.ready();
  return {
    ...built,
    dataDir,
    async close() {
      await built.app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An organization with an owner and an admin API token (what an integration would hold). */
export async function createOrg(database: DatabaseHandle, services: Services) {
  const { db } = database;
  const id = uuidv7();
  const ownerId = uuidv7();
  await db.insertInto("organizations").values({ id, name: "Bench" }).execute();
  await db
    .insertInto("users")
    .values({ id: ownerId, email: `owner-${ownerId}@example.com`, name: "Owner" })
    .execute();
  await db
    .insertInto("memberships")
    .values({ organization_id: id, user_id: ownerId, role: "owner" })
    .execute();
  const caller = { userId: ownerId, organizationId: id, role: "owner" as const, via: "token" as const };
  const { token } = await services.tokens.create(caller, { name: "bench", role: "admin" });
  return { id, token };
}

export async function call(app: FastifyInstance, method: string, url: string, token: string, body?: unknown) {
  const res = await app.inject({
    method: method as "GET",
    url,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  const parsed = res.body ? JSON.parse(res.body) : null;
  return { status: res.statusCode, body: parsed, text: res.body };
}

/**
 * The intake load's two on-site events (one for the API, one published for the public form)
 * and a load target for each, given the base URL of the process under load. Each target's
 * `[<id>]` makes every request's address new (autocannon fills it in).
 */
export async function intakeTargets(app: FastifyInstance, token: string, label: string) {
  const eventBody = (title: string) => ({
    title,
    startsAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
    endsAt: new Date(Date.now() + 30 * 86400_000 + 7200_000).toISOString(),
    timeZone: "Europe/Oslo",
    format: "onsite",
    capacity: null,
  });
  const apiEvent = await call(app, "POST", "/api/v1/events", token, eventBody(`${label} API`));
  const formEvent = await call(app, "POST", "/api/v1/events", token, eventBody(`${label} form`));
  const rowsEvent = await call(app, "POST", "/api/v1/events", token, eventBody(`${label} rows`));
  for (const created of [apiEvent, formEvent, rowsEvent])
    if (created.status !== 201) throw new Error(`event: ${created.text}`);
  const published = await call(app, "POST", `/api/v1/events/${formEvent.body.id}/publish`, token);
  if (published.status !== 200) throw new Error(`publish: ${published.text}`);
  const json = { "content-type": "application/json" };
  const contactBody = JSON.stringify({
    contact: { firstName: "F", lastName: "Bench", email: "b[<id>]@example.com", company: "Acme" },
  });
  return {
    apiEventId: apiEvent.body.id as string,
    /** The event the minimal service's "registration's rows" mode writes into. */
    rowsEventId: rowsEvent.body.id as string,
    /** The API's registration route's body (the minimal service takes the same). */
    contactBody,
    api: (base: string): LoadTarget => ({
      url: `${base}/api/v1/events/${apiEvent.body.id}/registrations`,
      headers: { ...json, authorization: `Bearer ${token}` },
      body: contactBody,
    }),
    public: (base: string): LoadTarget => ({
      url: `${base}/api/v1/public/events/${published.body.slug}/registrations`,
      headers: json,
      body: JSON.stringify({ firstName: "F", lastName: "Bench", email: "p[<id>]@example.com" }),
    }),
  };
}

/**
 * The environment of a `serve` process under the intake load: the public form's rate limit
 * and admission control raised out of the way (this measures capacity, not overload).
 */
export function intakeServeEnv(options: {
  databaseUrl: string;
  port: number;
  dataDir: string;
  poolSize: number;
}) {
  return {
    DATABASE_URL: options.databaseUrl,
    PORT: String(options.port),
    HOST: "127.0.0.1",
    AUDITORIUM_PUBLIC_URL: `http://127.0.0.1:${options.port}`,
    AUDITORIUM_DATA_DIR: options.dataDir,
    AUDITORIUM_LOG_LEVEL: "warn",
    AUDITORIUM_DB_POOL_SIZE: String(options.poolSize),
    AUDITORIUM_PUBLIC_RATE_LIMIT: "100000000",
    AUDITORIUM_INTAKE_MAX_IN_FLIGHT: "10000",
  };
}

/** Another provider's configuration, and when the event starts (default: in 24 hours). */
export interface SetupOptions {
  configuration?: {
    provider: string;
    settings: Record<string, unknown>;
    credentials: Record<string, string>;
  };
  startsAt?: Date;
}

/**
 * Terms accepted, an ON24 configuration at `requestsPerSecond`, a published webinar event,
 * and its webinar provisioned at the simulator by running the `webinar.sync` handler once
 * in this process (so registrations enqueue their sync job right away).
 */
export async function webinarSetup(
  bench: BenchApp,
  database: DatabaseHandle,
  token: string,
  requestsPerSecond: number,
  options: SetupOptions = {},
) {
  const { app, services } = bench;
  const terms = await call(app, "GET", "/api/v1/webinar/terms", token);
  await call(app, "POST", "/api/v1/webinar/terms/accept", token, { version: terms.body.version });
  const configuration = options.configuration ?? {
    provider: "on24",
    settings: { region: "NA" },
    credentials: ON24_ACCOUNT,
  };
  const config = await call(app, "POST", "/api/v1/webinar-configurations", token, {
    ...configuration,
    name: configuration.provider,
    requestsPerSecond,
  });
  if (config.status !== 201) throw new Error(`configuration: ${config.status} ${config.text}`);
  const start = options.startsAt ?? new Date(Date.now() + 24 * 3600_000);
  const event = await call(app, "POST", "/api/v1/events", token, {
    title: "Benchmark webinar",
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 2 * 3600_000).toISOString(),
    timeZone: "Europe/Oslo",
    format: "webinar",
    capacity: null,
    webinarConfigurationId: config.body.id,
  });
  if (event.status !== 201) throw new Error(`event: ${event.status} ${event.text}`);
  const eventId = event.body.id as string;
  const webinar = await database.db
    .selectFrom("webinars")
    .select("id")
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  await services.syncWorker.handlers["webinar.sync"]({ webinarId: webinar.id });
  const provisioned = await database.db
    .selectFrom("webinars")
    .select(["state", "provider_webinar_id"])
    .where("id", "=", webinar.id)
    .executeTakeFirstOrThrow();
  if (provisioned.state !== "provisioned") throw new Error(`webinar not provisioned: ${provisioned.state}`);
  return {
    configId: config.body.id as string,
    eventId,
    webinarId: webinar.id,
    providerWebinarId: Number(provisioned.provider_webinar_id),
    /** As the provider spells it (Zoom's ids are strings of digits too, kept exact). */
    providerKey: provisioned.provider_webinar_id as string,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Runs `total` calls of `task(i)` with `concurrency` in flight; returns wall time and latencies (ms). */
export async function runConcurrent(total: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    perSecond: total / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `total` registrations for one event through the registration service, 20 at a time (their
 * sync jobs are queued in the same transactions; no worker needs to run). Emails are
 * `${prefix}${i}@example.com`.
 */
export async function createRegistrations(
  services: Services,
  organizationId: string,
  eventId: string,
  total: number,
  prefix: string,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      for (let i = next++; i < total; i = next++)
        await services.registrations.register(organizationId, eventId, {
          contact: {
            firstName: `F${i}`,
            lastName: prefix,
            email: `${prefix}${i}@example.com`,
            company: "Acme",
          },
          sessionIds: [],
          source: "api",
        });
    }),
  );
}
