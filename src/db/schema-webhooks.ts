import type { ColumnType, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Json<T> = ColumnType<T, string, string>;

export type SubscriptionState = "pending" | "active" | "held" | "failed" | "ended";

/** A provider change-notification subscription for one webinar (migration 0050). */
export interface WebhookSubscriptionsTable {
  webinar_id: string;
  organization_id: string;
  configuration_id: string;
  provider_subscription_id: string | null;
  /** The clientState, sealed with the envelope (a secret shared with the provider). */
  client_state: Json<unknown>;
  state: Defaulted<SubscriptionState>;
  expires_at: Timestamp | null;
  attempts: Defaulted<number>;
  last_error: string | null;
  renewed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Live presence from participant webhooks: in the room since `joined_at`, seconds seen so far. */
export interface WebinarPresenceTable {
  registration_id: string;
  webinar_id: string;
  organization_id: string;
  joined_at: Timestamp | null;
  left_at: Timestamp | null;
  live_seconds: Defaulted<number>;
  updated_at: Timestamp;
}

export type WebhookTables = {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webinar_presence: WebinarPresenceTable;
};

export type WebhookSubscriptionRow = Selectable<WebhookSubscriptionsTable>;
