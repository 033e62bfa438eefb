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

/**
 * Deleting a row runs, for each foreign key that references it, a lookup of the rows that
 * point at it (ON DELETE CASCADE or SET NULL, and the check of NO ACTION). Without an index
 * leading with the key's columns that lookup reads the whole referencing table once per row
 * deleted: an erasure of one person read every registration of every organization, and the
 * webhook history's retention read every attempt once per delivery it removed. Organizations
 * and users are left out: one is deleted at a time, rarely, and their keys are on most tables.
 * A partial index on `key IS NOT NULL` serves: the lookup's equality implies it.
 */
test("every foreign key to a row deleted in the course of work leads an index on its own table", async () => {
  const database = await openDatabase({});
  try {
    await migrateToLatest(database.db);
    const { rows } = await sql<{ constraint: string }>`
      select c.conname as constraint
      from pg_constraint c
      where c.contype = 'f'
        and c.confrelid not in ('organizations'::regclass, 'users'::regclass)
        and not exists (
          select 1 from pg_index i
          where i.indrelid = c.conrelid
            and (i.indpred is null or (cardinality(c.conkey) = 1 and pg_get_expr(i.indpred, i.indrelid) =
              format('(%I IS NOT NULL)', (select attname from pg_attribute where attrelid = c.conrelid and attnum = c.conkey[1]))))
            and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
            and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
      order by 1`.execute(database.db);
    assert.deepEqual(rows, []);
  } finally {
    await database.close();
  }
});
