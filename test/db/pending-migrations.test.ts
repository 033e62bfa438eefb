import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sql } from "kysely";
import { embeddedDatabaseExists, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest, pendingMigrations } from "../../src/db/migrate.ts";

/**
 * What the embedded server asks before it decides to migrate in a child process (main.ts,
 * openUpToDate): a start with nothing pending starts no second process.
 */
test("pending migrations: all on a new database, none once migrated, the one a database has not run", async () => {
  const database = await openDatabase({});
  try {
    const all = await pendingMigrations(database.db);
    assert.ok(
      all.includes("0001_spine") && all.length > 20,
      "a database without the migration table has all pending",
    );

    const applied = await migrateToLatest(database.db);
    assert.deepEqual([...applied].sort(), [...all].sort(), "pending lists exactly what the migrator runs");
    assert.deepEqual(await pendingMigrations(database.db), []);

    // A start after an upgrade: the database lacks one listed migration.
    await sql`delete from kysely_migration where name = '0185_registration_questions'`.execute(database.db);
    assert.deepEqual(await pendingMigrations(database.db), ["0185_registration_questions"]);
  } finally {
    await database.close();
  }
});

test("a data folder holds an embedded cluster only after its first open", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-pending-"));
  try {
    assert.equal(embeddedDatabaseExists(dataDir), false);
    const database = await openDatabase({ dataDir });
    await database.close();
    assert.equal(embeddedDatabaseExists(dataDir), true);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
