import { parseArgs } from "node:util";
import { buildApp, createServices } from "./app.ts";
import { ConfigError, loadConfig } from "./config/env.ts";
import { openDatabase } from "./db/database.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { createLogger } from "./lib/logger.ts";
import { normalizeEmail } from "./modules/access/sessions.service.ts";

const USAGE = `auditorium <command>

  serve                    run the API (and, on the embedded database, the background work)
  migrate                  apply database migrations and exit
  sign-in-link --email E   print a new one-time sign-in link for an existing user
`;

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { email: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const command = positionals[0] ?? "serve";
  if (values.help) return void process.stdout.write(USAGE);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrateToLatest(database.db);
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
      const services = createServices({ config, database });
      process.stdout.write(`${await services.sessions.issueSignInLink(user.id)}\n`);
      await database.close();
      return;
    }
    case "serve": {
      const { app, services } = await buildApp({ config, database, logger });
      const link = await services.sessions.bootstrap(config.ownerEmail);
      await app.listen({ port: config.port, host: config.host });
      const where = config.databaseUrl ? "server PostgreSQL" : `embedded database in ${config.dataDir}`;
      process.stdout.write(
        `\nAuditorium is running at ${config.publicUrl} (${where}).\nAPI docs: ${config.publicUrl}/docs\n`,
      );
      if (link) {
        // Printed to the terminal only, never logged: it signs in as the owner, once, within 24 hours.
        process.stdout.write(
          `\nFirst start: sign in as ${config.ownerEmail} with this one-time link (valid 24 h):\n  ${link}\n\n`,
        );
      }
      const stop = async () => {
        await app.close();
        await database.close();
        process.exit(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      return;
    }
    default:
      process.stderr.write(USAGE);
      process.exitCode = 2;
  }
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
