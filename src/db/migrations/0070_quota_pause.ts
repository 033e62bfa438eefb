import { type Kysely, sql } from "kysely";

/**
 * How long the account's last quota pause was, so that quota answers in a row lengthen the
 * pause (1 s, 2 s, 4 s … up to the configured maximum) and a lone one costs only a second.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE webinar_configurations ADD COLUMN quota_pause_seconds double precision`.execute(db);
}
