import { type Kysely, sql } from "kysely";

/**
 * Double opt-in (docs/email.md): a public registration can wait, as
 * `pending_confirmation`, for its person to click the link sent to the address. The link's
 * token is stored hashed and single-use; an unconfirmed registration is deleted after
 * `confirmation_expires_at`. The organization's setting and an event's override live in
 * tables of their own (absent row = defaults), beside the registrant-message settings.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE registrations DROP CONSTRAINT registrations_status_check`,
  `ALTER TABLE registrations ADD CONSTRAINT registrations_status_check
    CHECK (status IN ('pending_confirmation','registered','waitlisted','cancelled'))`,
  `ALTER TABLE registrations ADD COLUMN confirm_token_hash text`,
  `ALTER TABLE registrations ADD COLUMN confirmation_expires_at timestamptz`,
  `CREATE UNIQUE INDEX registrations_confirm_token ON registrations (confirm_token_hash)
    WHERE confirm_token_hash IS NOT NULL`,
  `CREATE INDEX registrations_unconfirmed ON registrations (confirmation_expires_at)
    WHERE status = 'pending_confirmation'`,
  `CREATE TABLE registrant_settings (
    organization_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    double_opt_in boolean NOT NULL DEFAULT false,
    confirmation_expiry_hours integer NOT NULL DEFAULT 48
      CHECK (confirmation_expiry_hours BETWEEN 1 AND 720),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE event_registrant_settings (
    event_id uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    double_opt_in boolean,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
