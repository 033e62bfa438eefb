import "./lib/production-mode.ts";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { buildApp, createServices, type Services } from "./app.ts";
import { runKeysCommand } from "./cli/keys.ts";
import {
  assertClusterable,
  isClusterProcess,
  parseProcesses,
  runClusterPrimary,
} from "./cli/serve-cluster.ts";
import { type Config, ConfigError, loadConfig } from "./config/env.ts";
import type { Db } from "./db/database.ts";
import { embeddedDatabaseExists, openDatabase } from "./db/database.ts";
import { migrateToLatest, pendingMigrations } from "./db/migrate.ts";
import { normalizeEmail } from "./lib/email-address.ts";
import type { Logger } from "./lib/logger.ts";
import { createLogger } from "./lib/logger.ts";
import { createAuditService, SYSTEM_ACTOR } from "./modules/audit/audit.service.ts";
import { createRuntime, type Runtime } from "./runtime.ts";
import { createJobWorkers } from "./workers.ts";

const USAGE = `auditorium <command>

  serve [--no-worker] [--demo]  run the API; on the embedded database (or unless --no-worker)
                                also the sync worker. --demo also starts the ON24 simulator and
                                walks a webinar through its whole life.
  serve --processes N           N HTTP processes sharing the port (server PostgreSQL only), API
                                only: run \`worker\` beside them for the jobs
  worker                        run only the sync worker (server PostgreSQL; several may run)
  migrate                       apply database migrations and exit
  sign-in-link --email E        print a new one-time sign-in link for an existing user
  privacy erase --email E --organization ID
                                erase a person everywhere, locally and at every provider that got them
  keys list | rotate | retire --version N | rewrap [--batch-size N]
                                key-encryption keys: versions, rotation, moving secrets (docs/keys.md)
`;

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      email: { type: "string" },
      help: { type: "boolean", short: "h" },
      "no-worker": { type: "boolean" },
      processes: { type: "string" },
      demo: { type: "boolean" },
      version: { type: "string" },
      "batch-size": { type: "string" },
      organization: { type: "string" },
    },
  });
  const command = positionals[0] ?? "serve";
  if (values.help) return void process.stdout.write(USAGE);
  let demo: Awaited<ReturnType<typeof import("./demo.ts")["prepareDemo"]>> | undefined;
  if (values.demo) {
    // The simulator runs as a separate process; the demo only points the ON24 adapter at it.
    const { prepareDemo } = await import("./demo.ts");
    demo = await prepareDemo();
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // Checked before the database is opened: a bad count or the embedded database stops here.
  const processes = command === "serve" ? parseProcesses(values.processes) : undefined;
  if (processes !== undefined) assertClusterable(config.databaseUrl);
  const { database, upToDate } = await openUpToDate(config, command === "serve" && !config.databaseUrl);
  const applied = upToDate ? [] : await migrateToLatest(database.db);
  if (applied.length) logger.info({ migrations: applied }, "database migrated");

  switch (command) {
    case "migrate":
      await database.close();
      return;
    case "sign-in-link": {
      if (!values.email) throw new ConfigError("sign-in-link needs --email");
      const user = await database.db
        .selectFrom("users")
        .select("id")
        .where("email", "=", normalizeEmail(values.email))
        .executeTakeFirst();
      if (!user) throw new ConfigError("No user has that email");
      const runtime = await createRuntime({ config, database, logger });
      const services = createServices({ config, database, logger, runtime });
      process.stdout.write(`${await services.signIn.issueSignInLink(user.id)}\n`);
      await runtime.close();
      await database.close();
      return;
    }
    case "privacy": {
      if (positionals[1] !== "erase" || !values.email || !values.organization) {
        throw new ConfigError("usage: auditorium privacy erase --email E --organization ID");
      }
      const runtime = await createRuntime({ config, database, logger });
      try {
        const services = createServices({ config, database, logger, runtime });
        const erasure = await services.privacy.eraseByEmail(values.organization, values.email, {
          requestedBy: null,
        });
        // The provider erasures are queued; a running worker drives them to done (GET /api/v1/erasures/{id}).
        process.stdout.write(`${JSON.stringify(erasure, null, 2)}\n`);
      } finally {
        await runtime.close();
        await database.close();
      }
      return;
    }
    case "keys": {
      const runtime = await createRuntime({ config, database, logger });
      try {
        const audit = createAuditService({ db: database.db });
        await runKeysCommand(
          { action: positionals[1], version: values.version, batchSize: values["batch-size"] },
          runtime,
          (line) => process.stdout.write(`${line}\n`),
          (action, details) =>
            database.db.transaction().execute(async (trx) => {
              const organizations = await trx.selectFrom("organizations").select("id").execute();
              for (const o of organizations) {
                await audit.record(trx, {
                  organizationId: o.id,
                  actor: SYSTEM_ACTOR,
                  action,
                  targetType: "keys",
                  details,
                });
              }
            }),
        );
      } finally {
        await runtime.close();
        await database.close();
      }
      return;
    }
    case "worker": {
      if (database.kind === "pglite") {
        throw new ConfigError(
          "`auditorium worker` needs DATABASE_URL (server PostgreSQL); the embedded mode runs the worker inside `serve`",
        );
      }
      const runtime = await createRuntime({ config, database, logger });
      const services = createServices({ config, database, logger, runtime });
      await startBackgroundWork({ runtime, services, logger, db: database.db });
      process.stdout.write(`Auditorium worker ${process.pid} is running.\n`);
      onStop(async () => {
        await runtime.close();
        await database.close();
      });
      return;
    }
    case "serve": {
      const inCluster = isClusterProcess();
      if (processes !== undefined && !inCluster) {
        // The first-start set-up once, here, before N processes could race to do it.
        const runtime = await createRuntime({ config, database, logger });
        const services = createServices({ config, database, logger, runtime });
        const link = await services.signIn.bootstrap(config.ownerEmail);
        await runtime.close();
        await database.close();
        const what = `${processes} HTTP process${processes === 1 ? "" : "es"}, API only; run \`auditorium worker\` for the jobs`;
        runClusterPrimary(processes, logger, serveBanner(config, what, link));
        return;
      }
      const runtime = await createRuntime({ config, database, logger });
      const { app, services } = await buildApp({ config, database, logger, runtime });
      const link = await services.signIn.bootstrap(config.ownerEmail);
      const withWorker = database.kind === "pglite" || (!values["no-worker"] && !inCluster);
      if (withWorker) await startBackgroundWork({ runtime, services, logger, db: database.db });
      await app.listen({ port: config.port, host: config.host });
      if (!inCluster)
        process.stdout.write(serveBanner(config, withWorker ? "with the sync worker" : "API only", link));
      onStop(async () => {
        await app.close();
        await runtime.close();
        await database.close();
        await demo?.stop();
      });
      if (demo) await demo.run({ app, services });
      return;
    }
    default:
      process.stderr.write(USAGE);
      process.exitCode = 2;
  }
}

/**
 * Opens the database. The embedded server (`embeddedServe`) brings it up to date in a child
 * process (migrateInChild) only when a migration is pending: a folder without a cluster has
 * all of them pending; otherwise the open database is asked (pendingMigrations, one small
 * read), and is closed and opened again around the child only when something is pending. A
 * start with nothing to apply opens the database once and starts no second process.
 * `upToDate`: nothing is left to migrate in this process.
 */
async function openUpToDate(config: Config, embeddedServe: boolean) {
  const open = () =>
    openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
  if (!embeddedServe) return { database: await open(), upToDate: false };
  if (embeddedDatabaseExists(config.dataDir)) {
    const database = await open();
    if ((await pendingMigrations(database.db)).length === 0) return { database, upToDate: true };
    await database.close();
  }
  const upToDate = await migrateInChild(config.dataDir);
  return { database: await open(), upToDate };
}

/**
 * The embedded server creates (first start) and migrates its database in a child process
 * (`migrate`) that exits, then opens the result. Creating the schema, and even finding that
 * nothing is left to apply, grows PGlite's WebAssembly heap (catalogs, the migrations' own
 * statements and modules), which is never given back: in the server's own process a first
 * start idled ~50 MiB above a second, and a second ~40 MiB above one that migrated in a child
 * (docs/performance.md). The price, paid only when a migration is pending (openUpToDate), is
 * one more short-lived process at start (Node, tsx and PGlite start twice). False when there is no script to run again (then the server migrates in process).
 */
async function migrateInChild(dataDir: string): Promise<boolean> {
  const script = process.argv[1];
  if (!script) return false;
  const child = spawn(process.execPath, [...process.execArgv, script, "migrate"], { stdio: "inherit" });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`migrating the embedded database in ${dataDir} failed (exit ${code})`);
  return true;
}

/** What `serve` prints once it listens (the sign-in link to the terminal only, never to the log). */
function serveBanner(config: Config, what: string, link: string | null) {
  const where = config.databaseUrl ? "server PostgreSQL" : `embedded database in ${config.dataDir}`;
  let text = `\nAuditorium is running at ${config.publicUrl} (${where}, ${what}).\nAPI docs: ${config.publicUrl}/docs\n`;
  text += config.email.smtpUrl
    ? `Email is sent through ${new URL(config.email.smtpUrl).host} as ${config.email.from}.\n`
    : "Email: no SMTP server configured (AUDITORIUM_SMTP_URL), so messages are kept, not sent; see them in the admin app's Outbox.\n";
  // It signs in as the owner, once, within 24 hours.
  if (link)
    text += `\nFirst start: sign in as ${config.ownerEmail} with this one-time link (valid 24 h):\n  ${link}\n\n`;
  return text;
}

/** Everything a worker runs: every job kind (src/workers.ts). */
async function startBackgroundWork(deps: { runtime: Runtime; services: Services; logger: Logger; db: Db }) {
  await createJobWorkers(deps).start();
}

function onStop(stop: () => Promise<void>) {
  const handler = async () => {
    await stop().catch(() => {});
    process.exit(0);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
