import { type Kysely, sql } from "kysely";

/**
 * The process that holds each lease (its liveness key, src/jobs/liveness.ts), so the sweeper
 * can hand a dead process's rows to live workers as soon as PostgreSQL has dropped its
 * liveness lock, not only when the lease lapses. Null on the embedded database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ["registration_syncs", "webinars", "provider_erasures"])
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN lease_holder integer`.execute(db);
}
