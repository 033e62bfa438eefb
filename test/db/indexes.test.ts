import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

/**
 * Every index is written on every insert: one whose columns (and operator classes) are the
 * leading part of another plain index on the same table serves no lookup the longer one does
 * not, and only costs writes (docs/performance.md, "Where the API's time goes").
 */
test("no plain index is the leading part of another index on the same table", async () => {
  const database = await openDatabase({});
  try {
    await migrateToLatest(database.db);
    const { rows } = await sql<{ redundant: string; covered_by: string }>`
      select a.indexrelid::regclass::text as redundant, b.indexrelid::regclass::text as covered_by
      from pg_index a
      join pg_index b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
      where not a.indisunique
        and a.indpred is null and b.indpred is null
        and a.indexprs is null and b.indexprs is null
        and (b.indkey::text = a.indkey::text or b.indkey::text like a.indkey::text || ' %')
        and (b.indclass::text = a.indclass::text or b.indclass::text like a.indclass::text || ' %')
      order by 1`.execute(database.db);
    assert.deepEqual(rows, []);
  } finally {
    await database.close();
  }
});
