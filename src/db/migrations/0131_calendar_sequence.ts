import { type Kysely, sql } from "kysely";

/**
 * The `.ics` a registrant receives keeps one UID for good (the registration's id), and its
 * SEQUENCE (RFC 5545 §3.8.7.4) must go up whenever the organizer changes the event, or
 * calendar clients ignore the update. `events.calendar_sequence` is that number. Triggers
 * keep it, so every path that reschedules (event update, session update, cancellation, a
 * future bulk tool) bumps it, and none can forget: an event's start, end or time zone
 * changing, its cancellation, or one of its sessions being added, moved or removed
 * (publishing and renaming are not revisions of the appointment).
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE events ADD COLUMN calendar_sequence integer NOT NULL DEFAULT 0`,
  // The sequence registrants were last told about (reschedule and cancellation notices).
  `ALTER TABLE events ADD COLUMN notified_calendar_sequence integer NOT NULL DEFAULT 0`,
  `CREATE FUNCTION events_calendar_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF (NEW.starts_at, NEW.ends_at, NEW.time_zone) IS DISTINCT FROM (OLD.starts_at, OLD.ends_at, OLD.time_zone)
        OR (NEW.status <> OLD.status AND 'cancelled' IN (NEW.status, OLD.status)) THEN
       NEW.calendar_sequence := OLD.calendar_sequence + 1;
     END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER events_calendar_sequence BEFORE UPDATE ON events
     FOR EACH ROW EXECUTE FUNCTION events_calendar_sequence()`,
  `CREATE FUNCTION sessions_calendar_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'UPDATE' AND (NEW.starts_at, NEW.ends_at) IS NOT DISTINCT FROM (OLD.starts_at, OLD.ends_at) THEN
       RETURN NULL;
     END IF;
     UPDATE events SET calendar_sequence = calendar_sequence + 1
       WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.event_id ELSE NEW.event_id END;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER sessions_calendar_sequence AFTER INSERT OR UPDATE OR DELETE ON event_sessions
     FOR EACH ROW EXECUTE FUNCTION sessions_calendar_sequence()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
