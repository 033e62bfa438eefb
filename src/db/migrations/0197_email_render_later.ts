import { type Kysely, sql } from "kysely";

/**
 * A message written with what it needs to be rendered later (its template's name and facts),
 * so the request that causes it only writes the row and the email worker renders it before
 * sending (docs/performance.md, "Intake"). Null once rendered, and for every message rendered
 * when it was written.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE email_messages ADD COLUMN render jsonb`.execute(db);
}
