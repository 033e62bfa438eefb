import { type Kysely, sql } from "kysely";

/**
 * The audit log: one row per admin action, append-only for the application. A trigger
 * refuses UPDATE and TRUNCATE always, and DELETE unless the transaction has set
 * `auditorium.retention` to 'on' (`SELECT set_config('auditorium.retention','on',true)`),
 * which only the retention job does. No foreign keys: entries outlive the users, tokens and
 * resources they name, and an organization's removal must not cascade into its log.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    actor_user_id uuid,
    actor_kind text NOT NULL CHECK (actor_kind IN ('user','token','system')),
    actor_token_id uuid,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text,
    details jsonb NOT NULL DEFAULT '{}',
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX audit_log_org ON audit_log (organization_id, id)`,
  `CREATE INDEX audit_log_org_target ON audit_log (organization_id, target_id)`,
  `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('auditorium.retention', true), '') = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = '42501';
  END
  $$`,
  `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
  `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
