import type { SecretContext } from "./envelope.ts";

/**
 * Every database column that holds envelope-sealed records, in one place. Key management
 * (`keys list`, `keys rewrap`, `keys retire`, the background rewrap and the start-up check in
 * secret-records.ts) reads this list and nothing else, so a column missing here would keep
 * records on a key version that can then be retired, and stop opening.
 *
 * Each sealed column is of the domain `sealed_record` (migration 0100: jsonb holding a
 * sealed record's shape, or null), and test/keys/sealed-columns.test.ts fails when a column
 * of that domain — or any column holding a sealed record — is not listed here.
 *
 * The context a record is bound to (the envelope's associated data) is formed here too, and
 * the code that seals and opens each column uses the same function, so a rewrap presents
 * exactly the context the record was sealed with.
 */
export interface SealedColumn<C extends string = string> {
  table: string;
  /** The column holding the sealed record (jsonb, `sealed_record` domain; null when wiped). */
  column: string;
  /** The columns that identify one row. */
  key: readonly C[];
  /** The columns the context is formed from. */
  contextColumns: readonly C[];
  context(row: Readonly<Record<C, string>>): SecretContext;
}

/**
 * The one context builder: a record is bound to its organization, the account it belongs to
 * (a provider configuration or a webhook endpoint: `scope`), and a field naming what it is and,
 * where a table holds several, which row it is in; so a record cannot be moved elsewhere.
 */
const contextOf =
  <R extends { organization_id: string }>(scope: keyof R & string, field: (row: R) => string) =>
  (row: R): SecretContext => ({
    organizationId: row.organization_id,
    configurationId: row[scope] as string,
    field: field(row),
  });

type ConfigurationRow = { organization_id: string; configuration_id: string };

/** Webinar configuration credentials: one record per credential field. */
export const credentialContext = contextOf<ConfigurationRow & { field: string }>(
  "configuration_id",
  (row) => row.field,
);

/**
 * A provider erasure's address (until the provider confirms): bound to the organization,
 * the provider account and the erasure row, so a record cannot be moved to another row.
 */
export const erasureEmailContext = contextOf<ConfigurationRow & { id: string }>(
  "configuration_id",
  (row) => `erasure:${row.id}`,
);

/** A webhook subscription's clientState, the secret the provider echoes in its notifications. */
export const clientStateContext = contextOf<ConfigurationRow & { webinar_id: string }>(
  "configuration_id",
  (row) => `webhook.clientState:${row.webinar_id}`,
);

/**
 * A Teams configuration's organizer refresh token (delegated consent): bound to the
 * organization and the configuration, so it cannot be moved to another account.
 */
export const organizerRefreshTokenContext = contextOf<ConfigurationRow>(
  "configuration_id",
  () => "organizer.refreshToken",
);

/** A started consent's PKCE code verifier, bound to its request row (wiped when used). */
export const consentVerifierContext = contextOf<ConfigurationRow & { id: string }>(
  "configuration_id",
  (row) => `organizer.codeVerifier:${row.id}`,
);

/**
 * An outgoing webhook endpoint's signing secret (src/modules/webhooks-out): bound to the
 * organization, the endpoint and the secret's row, so a record cannot move to another endpoint.
 */
export const webhookEndpointSecretContext = contextOf<{
  id: string;
  organization_id: string;
  endpoint_id: string;
}>("endpoint_id", (row) => `webhook_endpoint.secret:${row.id}`);

const sealedColumn = <C extends string>(spec: SealedColumn<C>): SealedColumn => spec as SealedColumn;

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  sealedColumn({
    table: "webinar_secrets",
    column: "record",
    key: ["configuration_id", "field"],
    contextColumns: ["organization_id", "configuration_id", "field"],
    context: credentialContext,
  }),
  sealedColumn({
    table: "provider_erasures",
    column: "sealed_email",
    key: ["id"],
    contextColumns: ["id", "organization_id", "configuration_id"],
    context: erasureEmailContext,
  }),
  sealedColumn({
    table: "webhook_subscriptions",
    column: "client_state",
    key: ["webinar_id"],
    contextColumns: ["webinar_id", "organization_id", "configuration_id"],
    context: clientStateContext,
  }),
  sealedColumn({
    table: "organizer_grants",
    column: "refresh_token",
    key: ["configuration_id"],
    contextColumns: ["organization_id", "configuration_id"],
    context: organizerRefreshTokenContext,
  }),
  sealedColumn({
    table: "organizer_consent_requests",
    column: "code_verifier",
    key: ["id"],
    contextColumns: ["id", "organization_id", "configuration_id"],
    context: consentVerifierContext,
  }),
  sealedColumn({
    table: "webhook_endpoint_secrets",
    column: "record",
    key: ["id"],
    contextColumns: ["id", "organization_id", "endpoint_id"],
    context: webhookEndpointSecretContext,
  }),
];
