import { type Kysely, sql } from "kysely";

/**
 * Webhooks (issue 5): change-notification subscriptions per webinar (Microsoft Graph), and
 * live presence from participant joined/left deliveries. One statement per call (PGlite's
 * extended protocol).
 *
 * - `webhook_subscriptions`: one row per webinar whose provider has `subscribe`. The
 *   clientState is a secret shared with the provider; it is stored sealed with the envelope
 *   (bound to organization, configuration and a per-webinar field), never in plain text.
 * - `webinar_presence`: who is in the room now (`joined_at`), when they last left, and the
 *   seconds seen so far, so a repeated "joined" keeps the first time, a replayed one older
 *   than the last leave is ignored, and a repeated "left" adds nothing.
 */
const statements = [
  `CREATE TABLE webhook_subscriptions (
    webinar_id uuid PRIMARY KEY REFERENCES webinars(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    configuration_id uuid NOT NULL REFERENCES webinar_configurations(id) ON DELETE CASCADE,
    provider_subscription_id text,
    client_state jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','active','held','failed','ended')),
    expires_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    renewed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webhook_subscriptions_configuration ON webhook_subscriptions (configuration_id, state)`,
  `CREATE TABLE webinar_presence (
    registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    webinar_id uuid NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    joined_at timestamptz,
    left_at timestamptz,
    live_seconds integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (registration_id, webinar_id)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
