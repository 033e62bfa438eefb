import { type Kysely, sql } from "kysely";

/**
 * The web app's registrations table (docs/web-app-api.md) pages by keyset within one event
 * on every sort, so each sort needs an index that yields the event's rows in that order:
 * (event_id, key, id) on registrations, or (organization_id, key, id) on contacts joined
 * back through (event_id, contact_id). Attendance minutes are a sum over another table; to
 * be sortable by index they are kept on the registration by a trigger, in the same
 * transaction as the attendance change (so the copy is never stale to anyone else).
 * One statement per call (PGlite's extended protocol).
 */
const statements: string[] = [
  `CREATE INDEX registrations_event_created ON registrations (event_id, created_at, id)`,
  `CREATE INDEX registrations_event_status ON registrations (event_id, status, id)`,
  `CREATE INDEX registrations_event_contact ON registrations (event_id, contact_id)`,
  `CREATE INDEX contacts_org_last_name ON contacts (organization_id, lower(last_name), id)`,
  `CREATE INDEX contacts_org_email_id ON contacts (organization_id, email_normalized, id)`,
  // The dashboard and the minutes sum find an event's webinars (event- and session-level).
  `CREATE INDEX webinars_event ON webinars (event_id, session_id)`,

  `ALTER TABLE registrations ADD COLUMN attended_minutes integer NOT NULL DEFAULT 0`,
  `UPDATE registrations r SET attended_minutes = a.minutes
     FROM (SELECT registration_id, sum(live_minutes + on_demand_minutes)::int AS minutes
           FROM attendance GROUP BY registration_id) a
    WHERE a.registration_id = r.id`,
  `CREATE INDEX registrations_event_minutes ON registrations (event_id, attended_minutes, id)`,
  // A registration being deleted takes its attendance with it (cascade); the UPDATE then
  // finds no row, which is what we want.
  `CREATE FUNCTION registrations_attended_minutes() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.registration_id ELSE NEW.registration_id END;
   BEGIN
     UPDATE registrations SET attended_minutes = coalesce(
       (SELECT sum(live_minutes + on_demand_minutes) FROM attendance WHERE registration_id = target), 0)
     WHERE id = target;
     IF TG_OP = 'UPDATE' AND OLD.registration_id <> NEW.registration_id THEN
       UPDATE registrations SET attended_minutes = coalesce(
         (SELECT sum(live_minutes + on_demand_minutes) FROM attendance WHERE registration_id = OLD.registration_id), 0)
       WHERE id = OLD.registration_id;
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER attendance_minutes AFTER INSERT OR DELETE OR UPDATE OF registration_id, live_minutes, on_demand_minutes
     ON attendance FOR EACH ROW EXECUTE FUNCTION registrations_attended_minutes()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
