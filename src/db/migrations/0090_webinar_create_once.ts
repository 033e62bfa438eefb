import { type Kysely, sql } from "kysely";

/**
 * Webinar creation exactly once. `lease_until` keeps two webinar jobs apart (as on
 * registration_syncs); `creating_since` is the "creating" state: set before a create is sent
 * and cleared when the provider's id is stored, so every later attempt looks the webinar up by
 * our reference before creating. It is a column of its own, not a value of `state`, because
 * held, failed and replay rewrite `state` and must not make us forget a create that may exist.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE webinars ADD COLUMN lease_until timestamptz`.execute(db);
  await sql`ALTER TABLE webinars ADD COLUMN creating_since timestamptz`.execute(db);
}
