import { type Kysely, sql } from "kysely";
import { DEFAULT_MIGRATION_TABLE as MIGRATION_TABLE, type Migration, Migrator } from "kysely/migration";
import * as m0001 from "./migrations/0001_spine.ts";
import * as m0010 from "./migrations/0010_webinars.ts";
import * as m0020 from "./migrations/0020_audit.ts";
import * as m0030 from "./migrations/0030_privacy.ts";
import * as m0040 from "./migrations/0040_retention.ts";
import * as m0050 from "./migrations/0050_webhooks.ts";
import * as m0060 from "./migrations/0060_web_app.ts";
import * as m0070 from "./migrations/0070_quota_pause.ts";
import * as m0080 from "./migrations/0080_attended_minutes_per_statement.ts";
import * as m0090 from "./migrations/0090_webinar_create_once.ts";
import * as m0091 from "./migrations/0091_lease_fence.ts";
import * as m0100 from "./migrations/0100_sealed_record_domain.ts";
import * as m0110 from "./migrations/0110_sign_in_failures.ts";
import * as m0120 from "./migrations/0120_email.ts";
import * as m0121 from "./migrations/0121_member_invitations.ts";
import * as m0130 from "./migrations/0130_double_opt_in.ts";
import * as m0131 from "./migrations/0131_calendar_sequence.ts";
import * as m0132 from "./migrations/0132_registrant_emails_sender.ts";
import * as m0150 from "./migrations/0150_attendance_tail.ts";
import * as m0151 from "./migrations/0151_provider_erasure_targets.ts";
import * as m0155 from "./migrations/0155_webinar_recordings.ts";
import * as m0160 from "./migrations/0160_webhooks_out.ts";
import * as m0170 from "./migrations/0170_campaign_and_segments.ts";
import * as m0180 from "./migrations/0180_webinar_reconciliations.ts";
import * as m0185 from "./migrations/0185_registration_questions.ts";
import * as m0190 from "./migrations/0190_organizer_consent.ts";
import * as m0195 from "./migrations/0195_lease_holder.ts";
import * as m0197 from "./migrations/0197_email_render_later.ts";
import * as m0200 from "./migrations/0200_rate_bucket_slots.ts";
import * as m0205 from "./migrations/0205_redundant_contact_index.ts";
import * as m0206 from "./migrations/0206_foreign_key_indexes.ts";

/** Migrations are listed here, not discovered on disk, so a bundled build carries them too. */
const migrations: Record<string, Migration> = {
  "0001_spine": m0001,
  "0010_webinars": m0010,
  "0020_audit": m0020,
  "0030_privacy": m0030,
  "0040_retention": m0040,
  "0050_webhooks": m0050,
  "0060_web_app": m0060,
  "0070_quota_pause": m0070,
  "0080_attended_minutes_per_statement": m0080,
  "0090_webinar_create_once": m0090,
  "0091_lease_fence": m0091,
  "0100_sealed_record_domain": m0100,
  "0110_sign_in_failures": m0110,
  "0120_email": m0120,
  "0121_member_invitations": m0121,
  "0130_double_opt_in": m0130,
  "0131_calendar_sequence": m0131,
  "0132_registrant_emails_sender": m0132,
  "0155_webinar_recordings": m0155,
  "0190_organizer_consent": m0190,
  "0195_lease_holder": m0195,
  "0197_email_render_later": m0197,
  "0200_rate_bucket_slots": m0200,
  "0205_redundant_contact_index": m0205,
  "0206_foreign_key_indexes": m0206,
  "0185_registration_questions": m0185,
  "0180_webinar_reconciliations": m0180,
  "0150_attendance_tail": m0150,
  "0151_provider_erasure_targets": m0151,
  "0170_campaign_and_segments": m0170,
  "0160_webhooks_out": m0160,
};

/**
 * The listed migrations the database has not run, read from Kysely's own table (all of them
 * when it has none yet). One small read and no Migrator: the embedded server asks this before
 * deciding to migrate in a child process (main.ts), so an up-to-date start pays for neither.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const table = await sql<{ present: boolean }>`
    select to_regclass(${MIGRATION_TABLE}) is not null as present`.execute(db);
  if (!table.rows[0]?.present) return Object.keys(migrations);
  const done = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  const ran = new Set(done.rows.map((r) => r.name));
  return Object.keys(migrations).filter((name) => !ran.has(name));
}

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  // Unordered: migrations of parallel branches land out of number order, and a database that
  // already ran a later number must still take an earlier one that arrives afterwards.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error("Database migration failed", { cause: error });
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
