import { type Kysely, sql } from "kysely";

/**
 * Membership by invitation (issue 13): adding a person stores an invitation whose link only
 * the invitee receives, by email; the membership (and, for a new address, the user) exists
 * once the invitee accepts. Users get the language of their emails. Sign-in links get a
 * purpose, so a password-reset link is told from a sign-in link.
 */
const statements: string[] = [
  `CREATE TABLE member_invitations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email text NOT NULL,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'marketer', 'viewer')),
    language text NOT NULL CHECK (language IN ('en', 'nb')),
    token_hash text NOT NULL UNIQUE,
    invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users(id) ON DELETE SET NULL
  )`,
  `CREATE UNIQUE INDEX member_invitations_pending ON member_invitations (organization_id, email) WHERE accepted_at IS NULL`,
  `ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'nb'))`,
  `ALTER TABLE sign_in_links ADD COLUMN purpose text NOT NULL DEFAULT 'sign_in' CHECK (purpose IN ('sign_in', 'password_reset'))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
