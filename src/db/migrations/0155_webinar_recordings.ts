import { type Kysely, sql } from "kysely";

/**
 * A webinar's recording or on-demand link as its provider gives it after the end (issue 15):
 * the link, whether it is the provider's on-demand page or a recording's share link, until
 * when the provider keeps it, and when we last asked (the attendance poll asks after the end).
 * The link is meant for registrants (the follow-up email sends it), so it is not sealed.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE webinars ADD COLUMN recording_url text`,
  `ALTER TABLE webinars ADD COLUMN recording_kind text
     CHECK (recording_kind IN ('on_demand', 'recording'))`,
  `ALTER TABLE webinars ADD COLUMN recording_available_until timestamptz`,
  `ALTER TABLE webinars ADD COLUMN recording_fetched_at timestamptz`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
