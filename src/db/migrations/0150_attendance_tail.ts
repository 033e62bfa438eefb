import { type Kysely, sql } from "kysely";

/**
 * Attendance after the first week (issue 15, point 7): the metrics poll keeps a slow schedule
 * up to AUDITORIUM_ATTENDANCE_TAIL_DAYS after the webinar, backing off while the numbers stay
 * the same. `attendance_totals` is the webinar's attendance totals at the last poll (counts and
 * sums only, no person), `tail_poll_seconds` the interval the slow schedule last chose.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE webinars ADD COLUMN attendance_totals text`,
  `ALTER TABLE webinars ADD COLUMN tail_poll_seconds integer CHECK (tail_poll_seconds > 0)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
