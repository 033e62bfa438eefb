import { type Kysely, sql } from "kysely";

/**
 * `contacts_org_email` (organization, address) is the leading part of `contacts_org_email_id`
 * (organization, address, id), which serves every lookup it served; each contact written
 * still paid for both (test/db/indexes.test.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS contacts_org_email`.execute(db);
}
