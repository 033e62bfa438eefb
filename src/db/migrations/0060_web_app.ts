import { type Kysely, sql } from "kysely";

/**
 * Indexes for the web app's registrations table and dashboard (docs/web-app-api.md). Each
 * keyset sort is (key, id) within one event, so (event_id, key, id) lets a page be an
 * index range read instead of a sort of the whole event. Sorts on contact columns and on
 * attendance minutes join other tables and are measured in test/api/registrations-list.test.ts.
 * One statement per call (PGlite's extended protocol).
 */
const statements: string[] = [
  `CREATE INDEX registrations_event_created ON registrations (event_id, created_at, id)`,
  `CREATE INDEX registrations_event_status ON registrations (event_id, status, id)`,
  // The public confirmation page finds a registration's webinars and syncs by registration.
  `CREATE INDEX webinars_event ON webinars (event_id, session_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
