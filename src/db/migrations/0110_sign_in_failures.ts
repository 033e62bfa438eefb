import { type Kysely, sql } from "kysely";

/**
 * Failed password sign-ins per client address and per (account, client address), shared by
 * every API process so the limit holds however many run. Keys are SHA-256 digests: no email
 * address or client address is stored. Rows past their window are swept by the limiter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE sign_in_failures (
      key_hash text PRIMARY KEY,
      window_started_at timestamptz NOT NULL,
      failures integer NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX sign_in_failures_window ON sign_in_failures (window_started_at)`.execute(db);
}
