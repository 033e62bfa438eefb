import { type Kysely, sql } from "kysely";

/**
 * The spine: tenancy, access, events, contacts, registrations, check-ins, imports.
 * One statement per call: PGlite speaks the extended protocol, which takes one at a time.
 * Only SQL that both PostgreSQL 15 and PGlite (18) accept.
 */
const statements = [
  `CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    contact_matching text NOT NULL DEFAULT 'email' CHECK (contact_matching IN ('email','name','email_name')),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner','admin','marketer','viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
  )`,
  `CREATE INDEX memberships_user ON memberships (user_id)`,
  `CREATE TABLE user_sessions (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE sign_in_links (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner','admin','marketer','viewer')),
    token_hash text NOT NULL UNIQUE,
    token_prefix text NOT NULL,
    created_by uuid NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
  )`,
  `CREATE TABLE events (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    time_zone text NOT NULL,
    format text NOT NULL CHECK (format IN ('onsite','webinar','hybrid')),
    language text NOT NULL,
    capacity integer CHECK (capacity IS NULL OR capacity >= 0),
    registration_opens_at timestamptz,
    registration_closes_at timestamptz,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','published','cancelled')),
    slug text NOT NULL UNIQUE,
    registration_fields jsonb NOT NULL DEFAULT '{}',
    consent_text text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
  )`,
  `CREATE INDEX events_org ON events (organization_id, id)`,
  `CREATE TABLE event_sessions (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    format text CHECK (format IN ('onsite','webinar','hybrid')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
  )`,
  `CREATE INDEX event_sessions_event ON event_sessions (event_id, starts_at)`,
  `CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text NOT NULL,
    email_normalized text NOT NULL,
    company text,
    job_title text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX contacts_org_email ON contacts (organization_id, email_normalized)`,
  `CREATE INDEX contacts_org_name ON contacts (organization_id, lower(first_name), lower(last_name))`,
  `CREATE TABLE registrations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('registered','waitlisted','cancelled')),
    source text NOT NULL CHECK (source IN ('api','public','import','provider')),
    consent_text text,
    consent_at timestamptz,
    cancel_token_hash text UNIQUE,
    cancelled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX registrations_one_active ON registrations (event_id, contact_id) WHERE status <> 'cancelled'`,
  `CREATE INDEX registrations_event ON registrations (event_id, id)`,
  `CREATE INDEX registrations_waitlist ON registrations (event_id, created_at) WHERE status = 'waitlisted'`,
  `CREATE TABLE registration_sessions (
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    session_id uuid NOT NULL REFERENCES event_sessions(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    PRIMARY KEY (registration_id, session_id)
  )`,
  `CREATE TABLE check_ins (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    session_id uuid REFERENCES event_sessions(id) ON DELETE CASCADE,
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('onsite','webinar')),
    checked_in_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX check_ins_event ON check_ins (event_id, id)`,
  `CREATE TABLE idempotency_keys (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scope text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, scope, key)
  )`,
  `CREATE TABLE imports (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('pending','running','completed','failed')),
    file_name text NOT NULL,
    total_rows integer NOT NULL DEFAULT 0,
    processed_rows integer NOT NULL DEFAULT 0,
    succeeded_rows integer NOT NULL DEFAULT 0,
    failed_rows integer NOT NULL DEFAULT 0,
    created_by uuid NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
  `CREATE TABLE import_files (
    import_id uuid PRIMARY KEY REFERENCES imports(id) ON DELETE CASCADE,
    content text NOT NULL
  )`,
  `CREATE TABLE import_row_errors (
    import_id uuid NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    row_number integer NOT NULL,
    field text,
    message text NOT NULL
  )`,
  `CREATE INDEX import_row_errors_import ON import_row_errors (import_id, row_number)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
