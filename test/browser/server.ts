import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { createJobWorkers } from "../../src/workers.ts";
import { freePort } from "../helpers/free-port.ts";
import { RecordedNotices } from "../helpers/notices.ts";
import { startSimulator } from "../webinars/fixtures.ts";

export const CHROMIUM = "/usr/bin/chromium";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS = path.join(root, "test/artifacts");

/** Builds web/dist when it is missing or older than web/src, exactly as `npm start` does. */
export function ensureWebBuilt() {
  const result = spawnSync(process.execPath, [path.join(root, "web/build-if-stale.mjs")], {
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("building the web app failed");
}

/**
 * The real server as `npm start` runs it: embedded database (in memory), sync worker in the
 * process, the built web app, and the ON24 adapter pointed at the simulator (a real HTTP
 * server). Returns the first-start sign-in link the terminal would show.
 */
export async function startStack(options: { env?: Record<string, string> } = {}) {
  const sim = await startSimulator();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-browser-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: "127.0.0.1",
    AUDITORIUM_PUBLIC_URL: baseUrl,
    AUDITORIUM_DATA_DIR: dataDir,
    AUDITORIUM_LOG_LEVEL: "warn",
    AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
    AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
    AUDITORIUM_METRICS_POLL_SECONDS: "1",
    AUDITORIUM_PUBLIC_RATE_LIMIT: "1000",
    ...options.env,
  });
  // The embedded database in memory, as the API tests use it: creating it on disk cost three
  // times as long on a busy machine (140 s against 42 s measured) and adds nothing the web
  // app could notice. The keyring still lives in the temporary data folder.
  const database = await openDatabase({});
  await migrateToLatest(database.db);
  // What registrants are told by email; the visitor's page link is read from here.
  const notices = new RecordedNotices();
  const boot = () => buildApp({ config, database, logger: createLogger("warn"), alsoNotify: notices });
  let { app, services, runtime } = await boot();
  const signInLink = await services.signIn.bootstrap(config.ownerEmail);
  if (!signInLink) throw new Error("a fresh database must give a first-start sign-in link");
  const listen = async () => {
    // Every job kind, as \`npm start\` runs them (src/workers.ts).
    await createJobWorkers({ runtime, services, logger: createLogger("warn"), db: database.db }).start();
    await app.listen({ port, host: "127.0.0.1" });
  };
  await listen();
  return {
    baseUrl,
    signInLink,
    sim,
    notices,
    /** The stack's database, for tests that move an event's clock (the recording scenario). */
    database,
    ownerEmail: config.ownerEmail,
    /** The newest message kept for `to` (no SMTP here): the invitee's mailbox stand-in. */
    async lastMailTo(to: string) {
      return database.db
        .selectFrom("email_messages")
        .select(["id", "subject", "text_body"])
        .where("recipient", "=", to)
        .orderBy("id", "desc")
        .executeTakeFirstOrThrow();
    },
    /** The database (kept across a restart). */
    db: database.db,
    /**
     * Stops the app and starts a new one on the same database, keyring and port, as a process
     * restart would: everything held in memory (caches, tokens) is gone.
     */
    async restart() {
      await app.close();
      ({ app, services, runtime } = await boot());
      await listen();
    },
    async stop() {
      await app.close();
      await database.close();
      await sim.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium; a missing browser is a failure with the fix in the message, never a skip.
 * `extraArgs`: e.g. the fake camera of the check-in desk test.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}
