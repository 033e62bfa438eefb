import { type Kysely, sql } from "kysely";

/**
 * Reconciliation runs (docs/webinars.md, "Reconciliation"): one row per pull of a webinar's
 * registrant list from its provider, with the drift found both ways. Counts and registration
 * ids only — never an address or a name — so a run holds no personal data of its own; it goes
 * with its webinar. The newest runs are what the API shows; old ones are pruned by the job.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `CREATE TABLE webinar_reconciliations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    webinar_id uuid NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,
    trigger text NOT NULL CHECK (trigger IN ('schedule', 'api')),
    state text NOT NULL DEFAULT 'queued'
      CHECK (state IN ('queued', 'running', 'done', 'deferred', 'failed', 'unsupported', 'skipped')),
    reason text,
    provider_registered integer,
    provider_cancelled integer,
    theirs_missing_here integer,
    added_here integer,
    cancelled_here integer,
    ours_missing_there integer,
    ours_missing_there_synced integer,
    details jsonb NOT NULL DEFAULT '{}',
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
  )`,
  `CREATE INDEX webinar_reconciliations_webinar ON webinar_reconciliations (webinar_id, requested_at DESC)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
