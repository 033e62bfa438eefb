import type { AddressInfo } from "node:net";
import path from "node:path";
import { startZoomSimulator } from "../simulators/zoom/server.ts";
import type { DatabaseHandle } from "../src/db/database.ts";
import { startWorker, stopWorker } from "../test/webinars/workers.ts";
import {
  type BenchApp,
  type BenchResult,
  buildBenchApp,
  call,
  createBenchDatabase,
  createOrg,
  log,
  num,
  type Options,
  percentile,
  round,
  sleep,
  startSimulator,
  webinarSetup,
} from "./lib.ts";

/**
 * Time from a provider publishing attendance to the numbers showing in
 * GET /api/v1/events/{id}/webinars (attendedLive + watchedOnDemand > 0):
 *
 * - polling (ON24, publication lag 0): an `auditorium worker` process polls at the shipped
 *   interval (AUDITORIUM_METRICS_POLL_SECONDS, default 30 s, not overridden here). Each
 *   webinar is run at the simulator at a random moment of its poll cycle, as real webinars
 *   end, so the expected wait is half an interval plus the poll's own time.
 * - webhooks (Zoom): the simulator sends signed participant events to POST
 *   /webhooks/{configurationId} on the app listening on a real port; measured from asking
 *   the simulator to run the webinar.
 *
 * Options: --webinars 5 (polled ON24 webinars), --zoom 5 (Zoom webinars via webhooks),
 * --timeout 150 (s per measurement).
 */
export async function run(options: Options): Promise<BenchResult> {
  const polled = num(options, "webinars", 5);
  const hooked = num(options, "zoom", 5);
  const timeoutMs = num(options, "timeout", 150) * 1000;
  const on24 = await startSimulator();
  const zoom = await startZoomSimulator({
    accounts: [{ accountId: ZOOM.accountId, clientId: ZOOM.clientId, clientSecret: ZOOM.clientSecret }],
    seed: 7,
  });
  const bench = await createBenchDatabase(10);
  let app: BenchApp | undefined;
  let worker: ReturnType<typeof startWorker> | undefined;
  try {
    const providerEnv = {
      AUDITORIUM_ON24_NA_URL: on24.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: on24.baseUrls.EU,
      AUDITORIUM_ZOOM_API_URL: zoom.apiUrl,
      AUDITORIUM_ZOOM_OAUTH_URL: zoom.oauthUrl,
    };
    app = await buildBenchApp(bench.database, providerEnv);
    const bApp = app;
    await app.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (app.app.server.address() as AddressInfo).port;
    const org = await createOrg(bench.database, app.services);

    /** Milliseconds until the event's webinar shows attendance through the API. */
    async function untilVisible(eventId: string, since: number) {
      for (;;) {
        const res = await call(bApp.app, "GET", `/api/v1/events/${eventId}/webinars`, org.token);
        const stats = res.body?.data?.[0]?.stats;
        if (stats && stats.attendedLive + stats.watchedOnDemand > 0) return Date.now() - since;
        if (Date.now() - since > timeoutMs) return Number.NaN;
        await sleep(200);
      }
    }

    // Polling: webinars that start shortly, so the worker's poll chain is in its live phase.
    log(`freshness: ${polled} ON24 webinars, worker polling at the shipped interval`);
    const startsAt = new Date(Date.now() + 20_000);
    const on24Webinars = [];
    for (let i = 0; i < polled; i++)
      on24Webinars.push(await webinarSetup(app, bench.database, org.token, 100, { startsAt }));
    worker = startWorker({
      DATABASE_URL: bench.url,
      AUDITORIUM_KEYRING_DIR: path.join(app.dataDir, "keys"),
      ...providerEnv,
    });
    await sleep(Math.max(0, startsAt.getTime() - Date.now()));
    const polling = await Promise.all(
      on24Webinars.map(async (w) => {
        // A random moment in the poll cycle, once the chain has polled at least once.
        while (!(await lastMetricsAt(bench.database.db, w.webinarId))) await sleep(500);
        await sleep(Math.random() * 30_000);
        const t0 = Date.now();
        const res = await fetch(`${on24.url}/_sim/events/${w.providerWebinarId}/run`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ attendanceRate: 1, walkIns: 2 }),
        });
        if (res.status !== 200) throw new Error(`ON24 run: ${res.status} ${await res.text()}`);
        return untilVisible(w.eventId, t0);
      }),
    );

    // Webhooks: Zoom delivers participant events to our route for the configuration.
    log(`freshness: ${hooked} Zoom webinars, webhooks`);
    const webhook: number[] = [];
    for (let i = 0; i < hooked; i++) {
      const w = await webinarSetup(app, bench.database, org.token, 10, {
        configuration: { provider: "zoom", settings: {}, credentials: ZOOM },
        startsAt: new Date(Date.now() + 60_000),
      });
      const put = await fetch(`${zoom.url}/_sim/webhook`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          url: `http://127.0.0.1:${port}/webhooks/${w.configId}`,
          secretToken: ZOOM.webhookSecretToken,
        }),
      });
      const validated = ((await put.json()) as { validated: boolean }).validated;
      if (!validated) throw new Error("Zoom webhook endpoint not validated by our route");
      const t0 = Date.now();
      const res = await fetch(`${zoom.url}/_sim/webinars/${w.providerKey}/run`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ attendees: [{ email: `hook${i}@example.com`, minutes: 20, segments: 1 }] }),
      });
      if (res.status !== 200) throw new Error(`Zoom run: ${res.status} ${await res.text()}`);
      const ms = await untilVisible(w.eventId, t0);
      if (!Number.isFinite(ms)) {
        const d = (await (await fetch(`${zoom.url}/_sim/webhook/deliveries`)).json()) as {
          event: string;
          status: number;
        }[];
        const pool = bench.database.pool;
        const q = async (t: string) =>
          (await pool?.query(`SELECT count(*)::int AS n FROM ${t} WHERE webinar_id = $1`, [w.webinarId]))
            ?.rows[0]?.n;
        log(
          `freshness: not visible; deliveries ${JSON.stringify(d.slice(-4).map((x) => [x.event, x.status]))}; rows: syncs ${await q("registration_syncs")}, presence ${await q("webinar_presence")}, attendance ${await q("attendance")}`,
        );
      }
      webhook.push(ms);
    }

    const summary = (values: number[]) => {
      const seen = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
      return {
        n: values.length,
        timedOut: values.length - seen.length,
        median: round(percentile(seen, 50) / 1000, 2),
        p95: round(percentile(seen, 95) / 1000, 2),
        max: round((seen.at(-1) ?? Number.NaN) / 1000, 2),
      };
    };
    const p = summary(polling);
    const h = summary(webhook);
    return {
      name: "freshness",
      rows: [
        [
          "polling (ON24) median s",
          p.median,
          `${p.n} webinars, poll every 30 s (shipped), ${p.timedOut} timed out`,
        ],
        ["polling (ON24) p95 s", p.p95, `max ${p.max}; goal ≤ 60`],
        ["webhooks (Zoom) median s", h.median, `${h.n} webinars, ${h.timedOut} timed out`],
        ["webhooks (Zoom) p95 s", h.p95, `max ${h.max}; goal ≤ 5`],
      ],
      json: {
        polling: { ...p, pollSeconds: 30, goal: 60, met: p.timedOut === 0 && p.p95 <= 60 },
        webhooks: { ...h, goal: 5, met: h.timedOut === 0 && h.p95 <= 5 },
        samplesMs: { polling, webhooks: webhook },
      },
    };
  } finally {
    if (worker) await stopWorker(worker);
    await app?.close().catch(() => {});
    await bench.drop();
    await on24.close();
    await zoom.close();
  }
}

/** The Zoom account the simulator knows here (a test account, not a real secret). */
const ZOOM = {
  accountId: "acct-bench-1",
  clientId: "client-bench-1",
  clientSecret: "bench-client-secret",
  webhookSecretToken: "bench-webhook-secret",
};

/** When the worker last finished polling the webinar (null before its first poll). */
async function lastMetricsAt(db: DatabaseHandle["db"], webinarId: string) {
  const row = await db
    .selectFrom("webinars")
    .select("last_metrics_at")
    .where("id", "=", webinarId)
    .executeTakeFirst();
  return row?.last_metrics_at ?? null;
}
