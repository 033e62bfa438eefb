import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sql } from "kysely";
import { openDatabase } from "../../src/db/database.ts";

/**
 * The embedded database as `npm start` opens it: a fresh folder is created (by a child process,
 * so initdb's memory leaves with it) and opened again with what was written; the server runs
 * with the smaller shared_buffers.
 */
test("a fresh data folder is created, keeps what was written, and reopens with 16 MB of shared buffers", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-embedded-"));
  try {
    const first = await openDatabase({ dataDir });
    assert.ok(existsSync(path.join(dataDir, "pgdata", "PG_VERSION")), "the cluster was created");
    await sql`CREATE TABLE kept (v text)`.execute(first.db);
    await sql`INSERT INTO kept VALUES ('written on the first start')`.execute(first.db);
    await first.close();

    const second = await openDatabase({ dataDir });
    const { rows } = await sql<{ v: string }>`SELECT v FROM kept`.execute(second.db);
    assert.deepEqual(rows, [{ v: "written on the first start" }]);
    const buffers = await sql<{ shared_buffers: string }>`SHOW shared_buffers`.execute(second.db);
    assert.equal(buffers.rows[0]?.shared_buffers, "16MB");
    const path_ = await sql<{ search_path: string }>`SHOW search_path`.execute(second.db);
    assert.equal(path_.rows[0]?.search_path, "public", "PGlite's own start parameters are kept");
    await second.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("a data folder that cannot hold a cluster fails the start, naming the folder", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-embedded-"));
  try {
    // pgdata is a file, so initdb cannot make its folder.
    await writeFile(path.join(dataDir, "pgdata"), "not a folder");
    await assert.rejects(openDatabase({ dataDir }), (error: Error) =>
      error.message.includes(path.join(dataDir, "pgdata")),
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
