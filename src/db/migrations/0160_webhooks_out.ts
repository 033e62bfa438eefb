import { type Kysely, sql } from "kysely";

/**
 * Outgoing webhooks (src/modules/webhooks-out): an organization's endpoints, their signing
 * secrets (sealed; several at once during a rotation's overlap), the messages written in the
 * business transactions, one delivery per message and endpoint, and every attempt.
 *
 * Messages have no foreign key to registrations or contacts: they outlive a registration's
 * retention on their own schedule, and an erasure deletes them by the ids they carry.
 * Deliveries and attempts go with their message or endpoint. One statement per call
 * (PGlite's extended protocol).
 */
const statements: string[] = [
  `CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url text NOT NULL,
    description text,
    event_types text[] NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    disabled_at timestamptz,
    disabled_reason text,
    failing_since timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id, id)`,
  `CREATE TABLE webhook_endpoint_secrets (
    id uuid PRIMARY KEY,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    record sealed_record NOT NULL,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webhook_endpoint_secrets_endpoint ON webhook_endpoint_secrets (endpoint_id)`,
  `CREATE TABLE webhook_messages (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    registration_id uuid,
    contact_id uuid,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webhook_messages_org ON webhook_messages (organization_id, created_at)`,
  `CREATE INDEX webhook_messages_registration ON webhook_messages (registration_id) WHERE registration_id IS NOT NULL`,
  `CREATE INDEX webhook_messages_contact ON webhook_messages (contact_id) WHERE contact_id IS NOT NULL`,
  `CREATE TABLE webhook_sequences (
    registration_id uuid PRIMARY KEY REFERENCES registrations(id) ON DELETE CASCADE,
    last bigint NOT NULL
  )`,
  `CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    message_id uuid NOT NULL REFERENCES webhook_messages(id) ON DELETE CASCADE,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    give_up_at timestamptz NOT NULL,
    lease_until timestamptz,
    lease_token uuid,
    last_status integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id, endpoint_id)
  )`,
  `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, state)`,
  `CREATE TABLE webhook_attempts (
    id uuid PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    message_id uuid NOT NULL REFERENCES webhook_messages(id) ON DELETE CASCADE,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    status integer,
    duration_ms integer NOT NULL,
    response_excerpt text,
    error text
  )`,
  `CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, attempted_at)`,
  `CREATE INDEX webhook_attempts_org_time ON webhook_attempts (organization_id, attempted_at)`,
  // webinar.ended is sent once, by the first attendance poll after the scheduled end.
  `ALTER TABLE webinars ADD COLUMN ended_notified_at timestamptz`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
