import { type Kysely, sql } from "kysely";

/**
 * The shared rate buckets keep the next free slot (a time) instead of tokens and when they were
 * refilled. A debt in tokens was turned back into a wait at each process's own rate, and the
 * processes' rates differ a little (each leaves the room its own lateness needs): the same debt
 * then meant different slots, and four worker processes on one account bunched requests into
 * one provider window (src/jobs/rate-limiter.ts). A time means the same to every process.
 * An existing row's refill time is in the past, which as the next slot means "free now".
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ["provider_rate_buckets", "email_rate_buckets"]) {
    await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN tokens`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} RENAME COLUMN refilled_at TO next_slot_at`.execute(db);
  }
}
