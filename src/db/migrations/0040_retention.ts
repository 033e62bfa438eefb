import { type Kysely, sql } from "kysely";

/**
 * Retention: per-organization periods, in days, on the privacy settings row. Null (the
 * default) keeps data forever. An index lets the sweep find an organization's old audit
 * entries without scanning its whole log. One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE privacy_settings ADD COLUMN retention_registrations_days integer
    CHECK (retention_registrations_days IS NULL OR retention_registrations_days > 0)`,
  `ALTER TABLE privacy_settings ADD COLUMN retention_attendance_days integer
    CHECK (retention_attendance_days IS NULL OR retention_attendance_days > 0)`,
  `ALTER TABLE privacy_settings ADD COLUMN retention_audit_days integer
    CHECK (retention_audit_days IS NULL OR retention_audit_days > 0)`,
  `CREATE INDEX audit_log_org_created ON audit_log (organization_id, created_at)`,
  `CREATE INDEX events_org_ends ON events (organization_id, ends_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
