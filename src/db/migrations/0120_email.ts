import { type Kysely, sql } from "kysely";

/**
 * The email outbox (src/modules/email): one row per message, written in the business
 * transaction together with its `email.send` job, and the shared send-rate bucket per SMTP
 * account. Account messages (sign-in link, password reset) belong to no organization.
 * `preview_*` hold the bodies with their secret links hidden, for whoever reads the outbox.
 * Organizations get the branding their messages carry (logo URL, colour).
 * One statement per call (PGlite's extended protocol).
 */
const statements: string[] = [
  `ALTER TABLE organizations ADD COLUMN logo_url text`,
  `ALTER TABLE organizations ADD COLUMN brand_color text`,
  `CREATE TABLE email_messages (
    id uuid PRIMARY KEY,
    organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
    kind text NOT NULL,
    language text NOT NULL CHECK (language IN ('en', 'nb')),
    recipient text NOT NULL,
    subject text NOT NULL,
    html text NOT NULL,
    text_body text NOT NULL,
    preview_html text,
    preview_text text,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
    registration_id uuid REFERENCES registrations(id) ON DELETE CASCADE,
    user_id uuid REFERENCES users(id) ON DELETE CASCADE,
    state text NOT NULL CHECK (state IN ('queued', 'deferred', 'sent', 'failed', 'kept')),
    attempts integer NOT NULL DEFAULT 0,
    claimed_until timestamptz,
    next_attempt_at timestamptz,
    last_error text,
    server_message_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
  )`,
  `CREATE INDEX email_messages_org ON email_messages (organization_id, id)`,
  `CREATE INDEX email_messages_registration ON email_messages (registration_id) WHERE registration_id IS NOT NULL`,
  `CREATE INDEX email_messages_user ON email_messages (user_id) WHERE user_id IS NOT NULL`,
  `CREATE INDEX email_messages_pending ON email_messages (state) WHERE state IN ('queued', 'deferred')`,
  `CREATE TABLE email_rate_buckets (
    account text PRIMARY KEY,
    tokens double precision NOT NULL,
    refilled_at timestamptz NOT NULL DEFAULT now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
