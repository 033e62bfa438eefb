import { type Kysely, sql } from "kysely";

/**
 * Delegated organizer consent for Microsoft Teams (docs/providers/teams.md, "Organizer
 * consent"). Graph creates, publishes and cancels webinars only on behalf of a signed-in
 * organizer, so a configuration can hold one organizer's refresh token.
 *
 * - `organizer_consent_requests`: one started consent (OAuth 2.0 authorization code + PKCE).
 *   The `state` and the browser-binding cookie are stored as SHA-256 only; the PKCE verifier
 *   is sealed and wiped when the request is used. Single use (`used_at`), short expiry, bound
 *   to the admin's sign-in session and organization.
 * - `organizer_grants`: the connected organizer of a configuration and the refresh token,
 *   sealed; replaced (rotated) in the same transaction that redeems it.
 * Both cascade with their configuration: deleting it forgets the grant.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `CREATE TABLE organizer_consent_requests (
    id uuid PRIMARY KEY,
    state_hash text NOT NULL UNIQUE,
    binding_hash text NOT NULL,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    configuration_id uuid NOT NULL REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_hash text NOT NULL,
    code_verifier sealed_record,
    redirect_uri text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX organizer_consent_requests_configuration ON organizer_consent_requests (configuration_id)`,
  `CREATE TABLE organizer_grants (
    configuration_id uuid PRIMARY KEY REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    refresh_token sealed_record NOT NULL,
    organizer_user_id text NOT NULL,
    organizer_name text,
    scope text NOT NULL,
    connected_by uuid REFERENCES users(id) ON DELETE SET NULL,
    connected_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz NOT NULL DEFAULT now(),
    rotations integer NOT NULL DEFAULT 0
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
