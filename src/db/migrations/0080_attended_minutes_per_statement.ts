import { type Kysely, sql } from "kysely";

/**
 * `registrations.attended_minutes` (migration 0060) was kept by a row trigger: one UPDATE of
 * a registration per attendance row. The metrics poll now writes attendance a few thousand
 * rows per statement, and the row trigger was most of that statement's time. Statement
 * triggers with transition tables do the same in one UPDATE per statement. PostgreSQL allows
 * transition tables only on single-event triggers, hence three thin triggers around one
 * function. One statement per call (PGlite's extended protocol).
 */
const statements: string[] = [
  `DROP TRIGGER attendance_minutes ON attendance`,
  `DROP FUNCTION registrations_attended_minutes()`,
  `CREATE FUNCTION refresh_attended_minutes(ids uuid[]) RETURNS void LANGUAGE sql AS $$
     UPDATE registrations r SET attended_minutes = m.minutes
     FROM (SELECT id, coalesce((SELECT sum(a.live_minutes + a.on_demand_minutes)
                                FROM attendance a WHERE a.registration_id = ids.id), 0)::int AS minutes
           FROM (SELECT DISTINCT unnest(ids) AS id) ids) m
     WHERE r.id = m.id AND r.attended_minutes IS DISTINCT FROM m.minutes
   $$`,
  `CREATE FUNCTION attendance_minutes_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM refresh_attended_minutes(ARRAY(SELECT registration_id FROM new_rows));
     RETURN NULL;
   END $$`,
  `CREATE FUNCTION attendance_minutes_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM refresh_attended_minutes(ARRAY(SELECT registration_id FROM old_rows));
     RETURN NULL;
   END $$`,
  `CREATE FUNCTION attendance_minutes_updated() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM refresh_attended_minutes(ARRAY(
       SELECT registration_id FROM new_rows UNION SELECT registration_id FROM old_rows));
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER attendance_minutes_insert AFTER INSERT ON attendance
     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_minutes_inserted()`,
  `CREATE TRIGGER attendance_minutes_delete AFTER DELETE ON attendance
     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_minutes_deleted()`,
  `CREATE TRIGGER attendance_minutes_update AFTER UPDATE ON attendance
     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION attendance_minutes_updated()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
