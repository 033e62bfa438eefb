import { type Kysely, sql } from "kysely";

/**
 * Erasure at Zoom, GoTo and Teams (issue 15, point 1): those providers forget a registrant per
 * webinar, not an address per account, so a provider erasure records the webinars that
 * received the person (`targets`: provider webinar id and registrant id, pseudonymous ids
 * only, wiped when done), and what the provider still keeps afterwards (`retained`: sentences
 * for the admin, no personal data). One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE provider_erasures ADD COLUMN targets jsonb`,
  `ALTER TABLE provider_erasures ADD COLUMN retained jsonb`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
