import { type Kysely, sql } from "kysely";

/**
 * Lease fencing tokens: written at every claim, and every settle of leased work matches it, so a
 * worker that lost its lease (stalled past it; the row claimed again) cannot overwrite the new
 * holder's result. See src/jobs/lease.ts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE registration_syncs ADD COLUMN lease_token uuid`.execute(db);
  await sql`ALTER TABLE provider_erasures ADD COLUMN lease_token uuid`.execute(db);
  await sql`ALTER TABLE webinars ADD COLUMN lease_token uuid`.execute(db);
  // The sweeper looks for lapsed leases every few seconds; only leased rows are indexed.
  await sql`CREATE INDEX registration_syncs_leased ON registration_syncs (lease_until) WHERE lease_until IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX webinars_leased ON webinars (lease_until) WHERE lease_until IS NOT NULL`.execute(db);
  await sql`CREATE INDEX provider_erasures_leased ON provider_erasures (lease_until) WHERE lease_until IS NOT NULL`.execute(
    db,
  );
}
