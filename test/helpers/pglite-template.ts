import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

/**
 * Every PGlite suite starts from one migrated cluster, dumped once per machine and migration
 * set, instead of running initdb and every migration again: that took 2–4 s of each suite on
 * a loaded CI machine, against 0.5–1.4 s to load the dump (about 130 suites a run). The key
 * is a digest of the migrations' sources and the PGlite version, so a changed migration
 * builds a new template; the harness still runs `migrateToLatest` after loading, as for any
 * database. Files that race to build it each write their own copy and rename it into place.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

function templateKey(): string {
  const hash = createHash("sha256");
  const migrations = path.join(root, "src/db/migrations");
  for (const file of readdirSync(migrations).sort())
    hash.update(file).update(readFileSync(path.join(migrations, file)));
  hash.update(readFileSync(path.join(root, "src/db/migrate.ts")));
  hash.update(readFileSync(path.join(root, "node_modules/@electric-sql/pglite/package.json")));
  return hash.digest("hex").slice(0, 16);
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
