import type { ColumnType, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Json<T> = ColumnType<T, string, string>;

/** An organization's receiver of outgoing webhooks (migration 0160; src/modules/webhooks-out). */
export interface WebhookEndpointsTable {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  event_types: ColumnType<string[], string[], string[]>;
  enabled: Defaulted<boolean>;
  disabled_at: Timestamp | null;
  /** Why the endpoint was switched off by the delivery worker (null when an admin did it, or enabled). */
  disabled_reason: string | null;
  /** Since when every attempt to this endpoint has failed; null after any success. */
  failing_since: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** A signing secret, sealed; `expires_at` set on the old one when a rotation starts its overlap. */
export interface WebhookEndpointSecretsTable {
  id: string;
  endpoint_id: string;
  organization_id: string;
  record: Json<unknown>;
  expires_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface WebhookMessagesTable {
  id: string;
  organization_id: string;
  event_type: string;
  /** The body as sent: `{ type, timestamp, data }`. */
  payload: Json<unknown>;
  /** The person the message is about, so an erasure can delete it. */
  registration_id: string | null;
  contact_id: string | null;
  created_at: CreatedAt;
}

/** The last sequence number handed to a registration's messages. */
export interface WebhookSequencesTable {
  registration_id: string;
  last: ColumnType<string | number, number, number>;
}

export type WebhookDeliveryState = "pending" | "delivered" | "failed";

export interface WebhookDeliveriesTable {
  id: string;
  message_id: string;
  endpoint_id: string;
  organization_id: string;
  state: WebhookDeliveryState;
  attempts: Defaulted<number>;
  next_attempt_at: Defaulted<Date>;
  /** Retries stop here (3 days after the message, or after a replay). */
  give_up_at: Timestamp;
  lease_until: Timestamp | null;
  lease_token: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  message_id: string;
  endpoint_id: string;
  organization_id: string;
  attempted_at: Timestamp;
  status: number | null;
  duration_ms: number;
  response_excerpt: string | null;
  error: string | null;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;

export type WebhooksOutTables = {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_endpoint_secrets: WebhookEndpointSecretsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_sequences: WebhookSequencesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
};
