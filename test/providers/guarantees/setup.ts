import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { acceptTerms, addConfiguration, addWebinarEvent } from "../../helpers/webinar-setup.ts";
import { waitUntil } from "../../webinars/fixtures.ts";
import { drivers } from "../drivers/index.ts";

const DRIVERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../drivers");

/** A driver file and its started simulator, or why it could not start. */
export type LoadedDriver =
  | { name: string; driver: ProviderSimDriver; error?: undefined }
  | { name: string; driver?: undefined; error: unknown };

/**
 * Every driver in test/providers/drivers (sorted), started. GUARANTEE_PROVIDERS=on24,zoom
 * narrows a local run to some of them. One driver that fails to load or start is reported as
 * that provider's failure; it does not stop the others; a driver file missing from the
 * folder's index.ts is reported the same way, so a new provider cannot be left out silently.
 */
export async function loadDrivers(): Promise<LoadedDriver[]> {
  const only = process.env.GUARANTEE_PROVIDERS?.split(",").map((s) => s.trim());
  const names = readdirSync(DRIVERS_DIR)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "index.ts")
    .map((f) => f.slice(0, -".ts".length))
    .sort();
  const loaded: LoadedDriver[] = [];
  for (const name of names) {
    if (only && !only.includes(name)) continue;
    try {
      const load = drivers[name];
      if (!load) throw new Error(`${name}.ts is not listed in test/providers/drivers/index.ts`);
      const mod = await load();
      if (typeof mod.start !== "function") throw new Error(`${name}.ts does not export start()`);
      loaded.push({ name, driver: await mod.start() });
    } catch (error) {
      loaded.push({ name, error });
    }
  }
  return loaded;
}

/** Merges each driver's environment; two drivers wanting different values for one name is a bug. */
export function mergedEnv(drivers: ProviderSimDriver[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const d of drivers) {
    for (const [k, v] of Object.entries(d.env)) {
      if (env[k] !== undefined && env[k] !== v) throw new Error(`drivers disagree on ${k}`);
      env[k] = v;
    }
  }
  return env;
}

/**
 * Terms accepted, a fresh configuration for the driver's provider (so a scenario that removes
 * credentials touches no other scenario), and a webinar event that uses it.
 */
export async function providerSetup(
  ctx: TestContext,
  org: TestOrg,
  driver: ProviderSimDriver,
  label: string,
  /** "onsite" makes an event without a webinar, for scenarios that make the webinar row themselves. */
  format: "webinar" | "onsite" = "webinar",
) {
  await acceptTerms(ctx, org);
  const configId = await addConfiguration(ctx, org, {
    provider: driver.kind,
    name: `${driver.kind} ${label}`,
    requestsPerSecond: 200,
    settings: driver.configuration.settings,
    credentials: driver.configuration.credentials,
  });
  const eventId = await addWebinarEvent(ctx, org, configId, {
    title: `Guarantees: ${label}`,
    format,
    webinarConfigurationId: format === "webinar" ? configId : null,
    ...(format === "webinar" && driver.webinarType !== null && { webinarType: driver.webinarType }),
  });
  return { configId, eventId };
}

export interface WebinarView {
  id: string;
  providerWebinarId: string | null;
  state: string;
  lastError: string | null;
  lastMetricsAt: string | null;
  stats: {
    registered: number;
    attendedLive: number;
    watchedOnDemand: number;
    noShow: number;
    averageMinutes: number;
  };
}

/** The event's webinar as the API shows it. */
export async function webinarOf(ctx: TestContext, org: TestOrg, eventId: string): Promise<WebinarView> {
  const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer });
  if (res.status !== 200) throw new Error(`webinars: ${res.status} ${res.text}`);
  return res.body.data[0];
}

export async function provisioned(ctx: TestContext, org: TestOrg, eventId: string, timeoutMs = 60_000) {
  const w = await waitUntil(
    "webinar provisioned, no change of the event still on its way to the provider",
    async () => {
      const v = await webinarOf(ctx, org, eventId);
      if (v?.state !== "provisioned" || !v.providerWebinarId) return null;
      // Publishing queues an update after the create: a scenario that then moves the event in
      // the database directly (recordings: "it ended three hours ago") must not have that
      // update carry the moved times to the provider afterwards.
      const row = await ctx.database.db
        .selectFrom("webinars")
        .select(["version", "synced_version"])
        .where("id", "=", v.id)
        .executeTakeFirstOrThrow();
      return row.synced_version === row.version ? v : null;
    },
    timeoutMs,
  );
  return { ...w, providerWebinarId: w.providerWebinarId as string };
}

export interface RegistrationView {
  id: string;
  status: string;
  contact: { email: string };
  webinar: {
    state: string;
    lastError: string | null;
    liveMinutes: number | null;
    onDemandMinutes: number | null;
  }[];
}

/** Every registration of the event with its webinar state and attendance, as the API shows them. */
export async function registrationsOf(ctx: TestContext, org: TestOrg, eventId: string) {
  const res = await ctx.request("GET", `/api/v1/events/${eventId}/registrations?limit=500`, {
    token: org.tokens.viewer,
  });
  if (res.status !== 200) throw new Error(`registrations: ${res.status} ${res.text}`);
  return res.body.data as RegistrationView[];
}

/** The sync rows of an event's registrations: state, the provider's id, attempts. */
export async function syncRows(ctx: TestContext, eventId: string) {
  return ctx.database.db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select(["c.email", "s.state", "s.provider_registrant_id", "s.attempts"])
    .where("r.event_id", "=", eventId)
    .execute();
}

/**
 * Waits until none of the organization's work is still on its way to the provider, so a
 * scenario that counts the simulator's requests sees only its own (a failed drain before it
 * may still be draining against the same simulator).
 */
export async function quiesce(ctx: TestContext, org: TestOrg, timeoutMs = 120_000) {
  await waitUntil(
    "earlier scenarios' provider work to finish",
    async () => {
      const rows = await ctx.database.db
        .selectFrom("registration_syncs")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("organization_id", "=", org.id)
        .where("state", "=", "pending")
        .executeTakeFirstOrThrow();
      const webinars = await ctx.database.db
        .selectFrom("webinars")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("organization_id", "=", org.id)
        .where("state", "in", ["pending", "deleting"])
        .executeTakeFirstOrThrow();
      return Number(rows.n) + Number(webinars.n) === 0 && (await dueJobs(ctx, 2)) === 0;
    },
    timeoutMs,
  );
}

/** The webinar row and its queued webinar.sync jobs, for a failure message. */
export async function webinarDiagnostics(ctx: TestContext, eventId: string) {
  const w = await ctx.database.db
    .selectFrom("webinars as w")
    .innerJoin("webinar_configurations as c", "c.id", "w.configuration_id")
    .select([
      "w.id",
      "w.state",
      "w.attempts",
      "w.last_error",
      "w.updated_at",
      "c.paused_until",
      "c.health_status",
    ])
    .where("w.event_id", "=", eventId)
    .executeTakeFirst();
  if (!w) return "no webinar row";
  const jobs = await sql<{ state: string; retry_count: number; start_after: Date }>`
    SELECT state, retry_count, start_after FROM pgboss.job
    WHERE name = 'webinar.sync' AND data->>'webinarId' = ${w.id} ORDER BY created_on`.execute(
    ctx.database.db,
  );
  return `webinar row ${JSON.stringify(w)}; webinar.sync jobs ${JSON.stringify(jobs.rows)}`;
}

/**
 * Provider work (jobs of the sync engine) that is running or due within `horizonSeconds`.
 * Webinar-level jobs (subscriptions, polls) belong to no registration, so the sync rows alone
 * do not show them. Keep the horizon short: a held subscription re-checks every minute, so a
 * long horizon never sees a quiet moment.
 */
export async function dueJobs(ctx: TestContext, horizonSeconds: number) {
  const res = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pgboss.job
    WHERE name IN ('webinar.sync', 'registration.sync', 'metrics.poll', 'webhook.subscription', 'person.erase')
      AND (state = 'active' OR (state IN ('created', 'retry')
           AND start_after < now() + make_interval(secs => ${horizonSeconds})))`.execute(ctx.database.db);
  return res.rows[0]?.n ?? 0;
}

/** Jobs that started since `since` (name and ids only), to tell which work made a request. */
export async function jobsSince(ctx: TestContext, since: Date) {
  const res = await sql<{ name: string; data: unknown; state: string }>`
    SELECT name, data, state FROM pgboss.job WHERE started_on >= ${since} ORDER BY started_on`.execute(
    ctx.database.db,
  );
  return res.rows;
}

/**
 * For a failure message: the sync engine's jobs by kind and state (with the earliest due time)
 * and the tail of each worker's output, so a failure seen once in CI says where work waited.
 */
export async function jobsOverview(ctx: TestContext, workerOutput?: string) {
  const res = await sql<{ name: string; state: string; n: number; due: Date | null }>`
    SELECT name, state, count(*)::int AS n, min(start_after) AS due FROM pgboss.job
    WHERE state IN ('created', 'retry', 'active') GROUP BY name, state ORDER BY name, state`.execute(
    ctx.database.db,
  );
  const jobs = res.rows.map((r) => `${r.name} ${r.state} ${r.n} (due from ${r.due?.toISOString()})`);
  return `jobs now: ${jobs.join("; ") || "none"}${workerOutput ? `\nworker output:\n${workerOutput}` : ""}`;
}
