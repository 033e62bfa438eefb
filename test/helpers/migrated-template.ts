import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

/**
 * Every suite starts from a database already migrated, built once per machine and migration
 * set, instead of running every migration again (about 130 suites a run on each backend).
 * - PGlite: a dumped cluster, loaded in 0.5–1.4 s against 2–4 s for initdb and the
 *   migrations on a loaded CI machine. Files that race to build it each write their own copy
 *   and rename it into place.
 * - Server PostgreSQL: a template database, copied by `CREATE DATABASE … TEMPLATE` in about
 *   60 ms against 300–400 ms for the migrations on a quiet machine. Built under an advisory
 *   lock, under a temporary name renamed when complete, so a build that dies leaves nothing
 *   a suite could copy. Templates of other migration sets are left alone (a few MB each): a
 *   run of another checkout may be copying one right now.
 * The key is a digest of the migrations' sources and the PGlite version, so a changed
 * migration builds a new template; the harness still runs `migrateToLatest` after opening,
 * as for any database.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

let key: string | undefined;
/** Read once per process: both backends' templates share it. */
function templateKey(): string {
  if (key) return key;
  const hash = createHash("sha256");
  const migrations = path.join(root, "src/db/migrations");
  for (const file of readdirSync(migrations).sort())
    hash.update(file).update(readFileSync(path.join(migrations, file)));
  hash.update(readFileSync(path.join(root, "src/db/migrate.ts")));
  hash.update(readFileSync(path.join(root, "node_modules/@electric-sql/pglite/package.json")));
  key = hash.digest("hex").slice(0, 16);
  return key;
}

let template: Promise<Blob> | undefined;

async function loadOrBuild(): Promise<Blob> {
  const file = path.join(os.tmpdir(), "auditorium-test-templates", `pglite-${templateKey()}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    const fresh = await openDatabase({});
    try {
      await migrateToLatest(fresh.db);
      const dump = await (fresh.pglite as NonNullable<DatabaseHandle["pglite"]>).dumpDataDir("none");
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, file);
      return dump;
    } finally {
      await fresh.close();
    }
  }
}

/** An in-memory PGlite database with every migration applied, from the template. */
export async function openMigratedPglite(): Promise<DatabaseHandle> {
  template ??= loadOrBuild();
  return openDatabase({ loadDataDir: await template });
}

let serverTemplate: Promise<string> | undefined;

async function withAdmin<T>(serverUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const databaseUrl = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

function buildServerTemplate(serverUrl: string): Promise<string> {
  const name = `auditorium_tpl_${templateKey()}`;
  return withAdmin(serverUrl, async (admin) => {
    // One builder per server at a time; the others wait, then find it built.
    await admin.query("SELECT pg_advisory_lock(hashtext('auditorium test template'))");
    try {
      const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (exists.rowCount) return name;
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const fresh = await openDatabase({ databaseUrl: databaseUrl(serverUrl, building), poolSize: 1 });
      try {
        await migrateToLatest(fresh.db);
      } finally {
        await fresh.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      return name;
    } finally {
      await admin.query("SELECT pg_advisory_unlock(hashtext('auditorium test template'))");
    }
  });
}

/** A new database on the server, named `name`, with every migration applied, from the template. */
export async function createMigratedServerDatabase(serverUrl: string, name: string): Promise<string> {
  serverTemplate ??= buildServerTemplate(serverUrl);
  const template = await serverTemplate;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return databaseUrl(serverUrl, name);
}

/** Drops a suite's database on the server, whoever is still connected to it. */
export async function dropServerDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
