import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildServer } from "../scripts/build-server.mjs";
import { openDatabase } from "../src/db/database.ts";
import { createTokenService } from "../src/modules/access/tokens.service.ts";
import { freePort } from "../test/helpers/free-port.ts";
import { type BenchResult, log, num, type Options, round, sleep } from "./lib.ts";

/**
 * The embedded `npm start` (`node dist/main.js serve` after `prestart` compiled it, PGlite in a temporary
 * AUDITORIUM_DATA_DIR, the sync worker in the same process): time from spawn to /readyz 200
 * on the first start (empty folder: database created, migrated, keyring made) and on the
 * second; RSS (VmRSS of the server process) idle and under an intake load.
 *
 * Options: --idle 5 (s before reading idle RSS), --load-seconds 15, --concurrency 20.
 */

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

interface Started {
  child: ChildProcess;
  readySeconds: number;
  output: string[];
}

async function startServer(dataDir: string, port: number): Promise<Started> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    AUDITORIUM_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    AUDITORIUM_PUBLIC_RATE_LIMIT: "100000",
  };
  delete env.DATABASE_URL;
  delete env.AUDITORIUM_LOG_LEVEL;
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.resolve("dist/main.js"), "serve"], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  // Request logs are read and dropped; only the tail is kept for errors.
  const keep = (c: Buffer) => {
    output.push(c.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output.join("")}`);
    if (Date.now() > deadline) throw new Error(`server not ready in 120 s: ${output.join("")}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    await sleep(25);
  }
  return { child, readySeconds: (performance.now() - t0) / 1000, output };
}

async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

export async function run(options: Options): Promise<BenchResult> {
  const idleSeconds = num(options, "idle", 5);
  const loadSeconds = num(options, "load-seconds", 15);
  const concurrency = num(options, "concurrency", 20);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-footprint-"));
  const port = await freePort();
  let server: Started | undefined;
  try {
    // As `npm start` does in `prestart`.
    await buildServer();
    log("footprint: first start (empty data folder)");
    server = await startServer(dataDir, port);
    const first = server.readySeconds;
    await sleep(idleSeconds * 1000);
    const firstIdle = rssMiB(server.child.pid as number);
    await stopServer(server.child);

    // An API token for the owner the first start bootstrapped, written while the server is down
    // (the embedded database has one owner process).
    const database = await openDatabase({ dataDir });
    const owner = await database.db
      .selectFrom("memberships")
      .select(["user_id", "organization_id"])
      .where("role", "=", "owner")
      .executeTakeFirstOrThrow();
    const { token } = await createTokenService({ db: database.db }).create(
      { userId: owner.user_id, organizationId: owner.organization_id, role: "owner", via: "token" },
      { name: "bench", role: "admin" },
    );
    await database.close();

    log("footprint: second start");
    server = await startServer(dataDir, port);
    const second = server.readySeconds;
    const pid = server.child.pid as number;
    await sleep(idleSeconds * 1000);
    const idle = rssMiB(pid);

    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const startsAt = new Date(Date.now() + 24 * 3600_000);
    const event = await fetch(`${base}/api/v1/events`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        title: "Footprint",
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
        timeZone: "Europe/Oslo",
        format: "onsite",
        capacity: null,
      }),
    });
    const eventBody = (await event.json()) as { id: string };
    if (event.status !== 201) throw new Error(`event: ${event.status} ${JSON.stringify(eventBody)}`);

    log(`footprint: intake load for ${loadSeconds} s at concurrency ${concurrency}`);
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(pid));
    }, 250);
    const started = Date.now();
    const until = started + loadSeconds * 1000;
    let count = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const i = count++;
          const res = await fetch(`${base}/api/v1/events/${eventBody.id}/registrations`, {
            method: "POST",
            headers,
            body: JSON.stringify({
              contact: { firstName: `F${i}`, lastName: "Load", email: `load${i}@example.com`, company: null },
            }),
          });
          await res.text();
          if (res.status !== 201) errors++;
        }
      }),
    );
    const loadedSeconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const afterLoad = rssMiB(pid);
    peak = Math.max(peak, afterLoad);
    await stopServer(server.child);
    server = undefined;
    const perSecond = count / loadedSeconds;
    return {
      name: "footprint",
      rows: [
        [
          "time to ready, first start (s)",
          round(first, 2),
          "empty data folder: PGlite created + migrated, keyring",
        ],
        ["time to ready, second start (s)", round(second, 2)],
        ["RSS idle after first start (MiB)", round(firstIdle), `${idleSeconds} s after ready`],
        ["RSS idle, second start (MiB)", round(idle), `${idleSeconds} s after ready`],
        ["RSS under intake, peak (MiB)", round(peak), `concurrency ${concurrency}, ${loadSeconds} s`],
        ["embedded intake registrations/s", round(perSecond), `${count} sent, ${errors} not 201`],
      ],
      json: {
        firstStartSeconds: round(first, 2),
        secondStartSeconds: round(second, 2),
        rssIdleFirstMiB: round(firstIdle),
        rssIdleMiB: round(idle),
        rssPeakUnderIntakeMiB: round(peak),
        rssAfterIntakeMiB: round(afterLoad),
        intakePerSecond: round(perSecond),
        intakeRequests: count,
        intakeErrors: errors,
        concurrency,
        loadSeconds,
      },
    };
  } finally {
    if (server) await stopServer(server.child);
    await rm(dataDir, { recursive: true, force: true });
  }
}
