import { type Kysely, sql } from "kysely";

/**
 * Webinar integration: terms, provider configurations with envelope-encrypted credentials,
 * the provider-side webinars, per-registration sync state, attendance, and the shared
 * per-account rate limiter. One statement per call (PGlite's extended protocol).
 */
const statements = [
  `CREATE TABLE webinar_terms (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    version text NOT NULL,
    accepted_by uuid NOT NULL REFERENCES users(id),
    accepted_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_by uuid REFERENCES users(id),
    withdrawn_at timestamptz
  )`,
  `CREATE INDEX webinar_terms_org ON webinar_terms (organization_id, accepted_at)`,
  `CREATE TABLE webinar_configurations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    provider text NOT NULL,
    name text NOT NULL,
    settings jsonb NOT NULL DEFAULT '{}',
    requests_per_second double precision NOT NULL DEFAULT 10,
    health_status text NOT NULL DEFAULT 'unchecked',
    health_message text,
    health_checked_at timestamptz,
    last_metrics_at timestamptz,
    paused_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webinar_configurations_org ON webinar_configurations (organization_id, id)`,
  `CREATE TABLE webinar_secrets (
    configuration_id uuid NOT NULL REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    field text NOT NULL,
    record jsonb NOT NULL,
    set_by uuid REFERENCES users(id) ON DELETE SET NULL,
    set_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (configuration_id, field)
  )`,
  `ALTER TABLE events ADD COLUMN webinar_configuration_id uuid REFERENCES webinar_configurations(id) ON DELETE SET NULL`,
  `ALTER TABLE events ADD COLUMN webinar_type text`,
  `ALTER TABLE event_sessions ADD COLUMN webinar_configuration_id uuid REFERENCES webinar_configurations(id) ON DELETE SET NULL`,
  `ALTER TABLE event_sessions ADD COLUMN webinar_type text`,
  `CREATE TABLE webinars (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    configuration_id uuid NOT NULL REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    session_id uuid REFERENCES event_sessions(id) ON DELETE CASCADE,
    provider_webinar_id text,
    join_url text,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','provisioned','held','failed','deleting','deleted')),
    desired text NOT NULL DEFAULT 'active' CHECK (desired IN ('active','deleted')),
    version integer NOT NULL DEFAULT 1,
    synced_version integer NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    last_metrics_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX webinars_event_level ON webinars (event_id) WHERE session_id IS NULL`,
  `CREATE UNIQUE INDEX webinars_session_level ON webinars (session_id) WHERE session_id IS NOT NULL`,
  `CREATE INDEX webinars_configuration ON webinars (configuration_id)`,
  `CREATE TABLE registration_syncs (
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    webinar_id uuid NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    configuration_id uuid NOT NULL REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','synced','held','failed','cancelled')),
    desired text NOT NULL DEFAULT 'registered' CHECK (desired IN ('registered','cancelled')),
    provider_registrant_id text,
    join_url text,
    attempts integer NOT NULL DEFAULT 0,
    lease_until timestamptz,
    last_error text,
    last_attempt_at timestamptz,
    synced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (registration_id, webinar_id)
  )`,
  `CREATE INDEX registration_syncs_webinar ON registration_syncs (webinar_id, state)`,
  `CREATE INDEX registration_syncs_configuration ON registration_syncs (configuration_id, state)`,
  `CREATE INDEX registration_syncs_provider_id ON registration_syncs (webinar_id, provider_registrant_id)`,
  `CREATE TABLE attendance (
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    webinar_id uuid NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    live_minutes integer NOT NULL DEFAULT 0,
    on_demand_minutes integer NOT NULL DEFAULT 0,
    engagement_score double precision,
    questions_asked integer NOT NULL DEFAULT 0,
    polls_answered integer NOT NULL DEFAULT 0,
    resources_downloaded integer NOT NULL DEFAULT 0,
    first_activity_at timestamptz,
    last_activity_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (registration_id, webinar_id)
  )`,
  `CREATE INDEX attendance_webinar ON attendance (webinar_id)`,
  `ALTER TABLE check_ins ADD COLUMN webinar_id uuid REFERENCES webinars(id) ON DELETE CASCADE`,
  `ALTER TABLE check_ins ADD COLUMN viewing_minutes integer`,
  `CREATE UNIQUE INDEX check_ins_webinar_once ON check_ins (registration_id, webinar_id) WHERE webinar_id IS NOT NULL`,
  `CREATE TABLE provider_rate_buckets (
    configuration_id uuid PRIMARY KEY REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    tokens double precision NOT NULL,
    refilled_at timestamptz NOT NULL DEFAULT now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
