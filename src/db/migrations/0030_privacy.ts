import { type Kysely, sql } from "kysely";

/**
 * Privacy: erasure records and their per-provider-account propagation, and each
 * organization's privacy settings. No table here holds personal data in the clear: an
 * erasure keeps at most a salted hash of the address (when re-import is blocked), and a
 * provider erasure keeps the address envelope-sealed only until the provider confirms.
 */
const statements = [
  `CREATE TABLE privacy_settings (
    organization_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    block_reimport boolean NOT NULL DEFAULT false,
    hash_salt text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE erasures (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    requested_by uuid REFERENCES users(id) ON DELETE SET NULL,
    email_hash text,
    contacts_erased integer NOT NULL DEFAULT 0,
    registrations_erased integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX erasures_org ON erasures (organization_id, id)`,
  `CREATE INDEX erasures_hash ON erasures (organization_id, email_hash) WHERE email_hash IS NOT NULL`,
  // configuration_id has no foreign key on purpose: deleting a configuration must not
  // delete the evidence that an erasure was (or was not) propagated to it.
  `CREATE TABLE provider_erasures (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    erasure_id uuid NOT NULL REFERENCES erasures(id) ON DELETE CASCADE,
    configuration_id uuid NOT NULL,
    provider text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','done','failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    sealed_email jsonb,
    pending_hash text,
    lease_until timestamptz,
    last_attempt_at timestamptz,
    alerted_at timestamptz,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'done' OR (sealed_email IS NULL AND pending_hash IS NULL))
  )`,
  `CREATE INDEX provider_erasures_erasure ON provider_erasures (erasure_id)`,
  `CREATE INDEX provider_erasures_open ON provider_erasures (organization_id, state) WHERE state <> 'done'`,
  `CREATE INDEX provider_erasures_pending_hash ON provider_erasures (organization_id, pending_hash) WHERE pending_hash IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
