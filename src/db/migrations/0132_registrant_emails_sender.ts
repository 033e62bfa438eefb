import { type Kysely, sql } from "kysely";

/**
 * One sender, never two (docs/email.md): who sends a webinar's registrant confirmations and
 * reminders, Auditorium or the provider. Chosen per webinar account, overridden per event;
 * null on both means nobody chose, which keeps the provider's own (today's behaviour).
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE webinar_configurations ADD COLUMN registrant_emails text
    CHECK (registrant_emails IN ('auditorium', 'provider'))`,
  `ALTER TABLE event_registrant_settings ADD COLUMN registrant_emails text
    CHECK (registrant_emails IN ('auditorium', 'provider'))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
