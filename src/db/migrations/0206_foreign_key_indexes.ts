import { type Kysely, sql } from "kysely";

/**
 * Each foreign key gets an index that leads with its columns. Deleting a row looks up, for
 * every key that references it, the rows pointing at it (to cascade, set null or refuse);
 * without such an index the lookup reads the whole table once per row deleted. An erasure of
 * one person read every registration (by contact) and every check-in (by registration), and
 * the webhook history's retention read every attempt once per delivery it removed
 * (test/db/indexes.test.ts). `registrations_event_contact` becomes (contact, event): the same
 * pairs, probed by both columns as before, now also by contact alone, so the intake writes no
 * more index entries than it did.
 */
const STATEMENTS = [
  "DROP INDEX registrations_event_contact",
  "CREATE INDEX registrations_contact_event ON registrations (contact_id, event_id)",
  "DROP INDEX check_ins_registration",
  "CREATE INDEX check_ins_registration ON check_ins (registration_id)",
  "CREATE INDEX check_ins_session ON check_ins (session_id)",
  "CREATE INDEX check_ins_webinar ON check_ins (webinar_id)",
  "CREATE INDEX events_webinar_configuration ON events (webinar_configuration_id)",
  "CREATE INDEX event_sessions_webinar_configuration ON event_sessions (webinar_configuration_id)",
  "CREATE INDEX imports_event ON imports (event_id)",
  "CREATE INDEX registration_sessions_session ON registration_sessions (session_id)",
  "CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id)",
  "CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id)",
  "CREATE INDEX webinar_presence_webinar ON webinar_presence (webinar_id)",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}
