import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Services } from "./app.ts";
import { ON24_DEMO_ACCOUNT } from "./modules/webinars/demo-account.routes.ts";

/**
 * `npm start -- --demo`: the whole life of a webinar in one command. Starts the ON24
 * simulator as its own process, points the ON24 adapter at it, then — through the public
 * REST API — accepts the terms, connects an account, creates an event with a webinar
 * session, registers a few hundred people, waits for them to reach the provider, runs the
 * webinar in the simulator and shows the attendance arriving.
 */
const DEMO_ACCOUNT = ON24_DEMO_ACCOUNT;
const PEOPLE = 300;

export async function prepareDemo() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "simulators/on24/main.ts")],
    {
      env: { ...process.env, ON24_SIM_PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(buffered);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`ON24 simulator exited with ${code}`)));
  });
  process.env.AUDITORIUM_ON24_NA_URL = `${url}/v2`;
  process.env.AUDITORIUM_ON24_EU_URL = `${url}/eu/v2`;
  process.env.AUDITORIUM_METRICS_POLL_SECONDS ??= "3";
  process.env.AUDITORIUM_DEMO = "1";
  await fetch(`${url}/_sim/knobs`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ publicationLagMs: 5_000, latencyMs: 20 }),
  });
  const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);
  say(`ON24 simulator running at ${url} (control API ${url}/_sim)`);

  return {
    async stop() {
      child.kill("SIGTERM");
    },
    async run({ app, services }: { app: FastifyInstance; services: Services }) {
      const owner = await services.signIn.anyOwner();
      const orgId = await services.members.createOrganization(
        owner.userId,
        `Webinar demo ${new Date().toISOString().slice(0, 16)}`,
      );
      const caller = {
        userId: owner.userId,
        organizationId: orgId,
        role: "owner" as const,
        via: "token" as const,
      };
      const { token } = await services.tokens.create(caller, { name: "demo", role: "owner" });
      const api = async (method: string, url: string, body?: unknown) => {
        const res = await app.inject({
          method: method as "GET",
          url,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { "content-type": "application/json" }),
          },
          ...(body !== undefined && { payload: JSON.stringify(body) }),
        });
        if (res.statusCode >= 400) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
        return res.body ? JSON.parse(res.body) : null;
      };

      const terms = await api("GET", "/api/v1/webinar/terms");
      await api("POST", "/api/v1/webinar/terms/accept", { version: terms.version });
      say(`accepted the webinar terms, version ${terms.version}`);
      const config = await api("POST", "/api/v1/webinar-configurations", {
        provider: "on24",
        name: "ON24 (simulated)",
        settings: { region: "NA" },
        requestsPerSecond: 50,
        credentials: DEMO_ACCOUNT,
      });
      const checked = await api("POST", `/api/v1/webinar-configurations/${config.id}/check`);
      say(
        `connected ON24 account ${DEMO_ACCOUNT.clientId}: health ${checked.health.status}; credentials set: ${Object.keys(checked.credentials).join(", ")} (values never shown again)`,
      );

      const start = new Date(Date.now() + 60_000);
      const event = await api("POST", "/api/v1/events", {
        title: "Auditorium launch",
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3 * 3600_000).toISOString(),
        timeZone: "Europe/Oslo",
        format: "hybrid",
        capacity: PEOPLE + 50,
      });
      const session = await api("POST", `/api/v1/events/${event.id}/sessions`, {
        title: "Keynote (webinar)",
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        format: "webinar",
        webinarConfigurationId: config.id,
      });
      await api("POST", `/api/v1/events/${event.id}/publish`);
      say(
        `event "${event.title}" with webinar session "${session.title}" published (public page /e/${event.slug})`,
      );

      const t0 = Date.now();
      for (let i = 0; i < PEOPLE; i += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, PEOPLE - i) }, (_, j) =>
            api("POST", `/api/v1/events/${event.id}/registrations`, {
              contact: {
                firstName: `Guest${i + j}`,
                lastName: "Demo",
                email: `guest${i + j}@demo.example`,
                company: "Example AS",
              },
            }),
          ),
        );
      }
      say(`${PEOPLE} registrations created in ${((Date.now() - t0) / 1000).toFixed(1)} s; syncing to ON24…`);
      const webinar = await waitFor(async () => {
        const w = (await api("GET", `/api/v1/events/${event.id}/webinars`)).data[0];
        if (w)
          say(
            `  webinar ${w.state}, registrations synced ${w.stats.sync.synced}/${PEOPLE}, pending ${w.stats.sync.pending}, failed ${w.stats.sync.failed}`,
          );
        return w && w.stats.sync.synced >= PEOPLE ? w : null;
      });
      say(
        `all ${PEOPLE} registrants are at ON24 (event ${webinar.providerWebinarId}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );

      const simUrl = (process.env.AUDITORIUM_ON24_NA_URL as string).replace(/\/v2$/, "");
      await fetch(`${simUrl}/_sim/events/${webinar.providerWebinarId}/run`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ seed: 7, attendanceRate: 0.7, walkIns: 12 }),
      });
      say("the simulator ran the webinar; ON24 publishes attendance after its publication lag…");
      const t1 = Date.now();
      const done = await waitFor(async () => {
        await api("POST", `/api/v1/webinars/${webinar.id}/poll`);
        const w = (await api("GET", `/api/v1/events/${event.id}/webinars`)).data[0];
        const s = w.stats;
        say(
          `  registered ${s.registered}, attended live ${s.attendedLive}, on demand ${s.watchedOnDemand}, no-show ${s.noShow}, average ${s.averageMinutes} min (metrics as of ${w.lastMetricsAt ?? "—"})`,
        );
        return s.attendedLive > 0 ? w : null;
      });
      say(
        `attendance arrived ${((Date.now() - t1) / 1000).toFixed(1)} s after the run; walk-ins became registrations with source "provider".`,
      );
      say(
        `done: ${done.stats.registered} registered, ${done.stats.attendedLive} watched live, ${done.stats.watchedOnDemand} on demand, ${done.stats.noShow} no-shows.`,
      );
    },
  };
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("demo timed out");
    await new Promise((r) => setTimeout(r, 2000));
  }
}
