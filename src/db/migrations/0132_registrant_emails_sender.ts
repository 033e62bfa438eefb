import { type Kysely, sql } from "kysely";

/**
 * One sender, never two (docs/email.md): who sends a webinar's registrant confirmations and
 * reminders, Auditorium or the provider. Chosen per webinar account, overridden per event;
 * null on both means nobody chose, which keeps the provider's own (today's behaviour).
 *
 * Reminders: the offsets before the start (minutes; default 24 h and 1 h), which reminders
 * each registration has had (so a sweep that runs again sends none twice), and the
 * unsubscribe: one-click tokens (RFC 8058, stored hashed, one per message) and the contacts
 * who asked for no more reminders and follow-ups. All cascade with their registration or
 * contact, so erasure and retention take them too.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE webinar_configurations ADD COLUMN registrant_emails text
    CHECK (registrant_emails IN ('auditorium', 'provider'))`,
  `ALTER TABLE event_registrant_settings ADD COLUMN registrant_emails text
    CHECK (registrant_emails IN ('auditorium', 'provider'))`,
  `ALTER TABLE registrant_settings ADD COLUMN reminder_offsets_minutes integer[] NOT NULL DEFAULT '{1440,60}'`,
  `CREATE TABLE registration_reminders (
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    offset_minutes integer NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (registration_id, offset_minutes)
  )`,
  `CREATE TABLE unsubscribe_tokens (
    token_hash text PRIMARY KEY,
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX unsubscribe_tokens_registration ON unsubscribe_tokens (registration_id)`,
  `CREATE TABLE contact_unsubscribes (
    contact_id uuid PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
