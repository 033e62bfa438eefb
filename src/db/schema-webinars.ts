import type { ColumnType, Selectable } from "kysely";
import type { RegistrantEmailSender } from "./schema-registrants.ts";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Json<T> = ColumnType<T, string, string>;

export type HealthStatus =
  | "unchecked"
  | "healthy"
  | "not_authenticated"
  | "forbidden"
  | "unhealthy"
  | "token_expired";
export type WebinarState = "pending" | "provisioned" | "held" | "failed" | "deleting" | "deleted";
export type RegistrationSyncState = "pending" | "synced" | "held" | "failed" | "cancelled";

export interface WebinarTermsTable {
  id: string;
  organization_id: string;
  version: string;
  accepted_by: string;
  accepted_at: Defaulted<Date>;
  withdrawn_by: string | null;
  withdrawn_at: Timestamp | null;
}

export interface WebinarConfigurationsTable {
  id: string;
  organization_id: string;
  provider: string;
  name: string;
  settings: Json<Record<string, string>>;
  requests_per_second: Defaulted<number>;
  health_status: Defaulted<HealthStatus>;
  health_message: string | null;
  health_checked_at: Timestamp | null;
  last_metrics_at: Timestamp | null;
  paused_until: Timestamp | null;
  /** Length of the last quota pause; consecutive quota answers double it (migration 0070). */
  quota_pause_seconds: number | null;
  /** Who sends registrant confirmations and reminders (migration 0132); null: nobody chose (the provider's). */
  registrant_emails: ColumnType<
    RegistrantEmailSender | null,
    RegistrantEmailSender | null | undefined,
    RegistrantEmailSender | null
  >;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WebinarSecretsTable {
  configuration_id: string;
  organization_id: string;
  field: string;
  record: Json<unknown>;
  set_by: string | null;
  set_at: Defaulted<Date>;
}

export interface WebinarsTable {
  id: string;
  organization_id: string;
  configuration_id: string;
  event_id: string;
  session_id: string | null;
  provider_webinar_id: string | null;
  join_url: string | null;
  state: Defaulted<WebinarState>;
  desired: Defaulted<"active" | "deleted">;
  version: Defaulted<number>;
  synced_version: Defaulted<number>;
  attempts: Defaulted<number>;
  last_error: string | null;
  /** When webinar.ended was written for it (migration 0160). */
  ended_notified_at: Timestamp | null;
  last_metrics_at: Timestamp | null;
  /** Held by the webinar job working on it (migration 0090). */
  lease_until: Timestamp | null;
  /** The holder's fencing token (migration 0091, src/jobs/lease.ts). */
  lease_token: string | null;
  /** A create may have been sent since then; null once the provider's id is stored (migration 0090). */
  creating_since: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface RegistrationSyncsTable {
  registration_id: string;
  webinar_id: string;
  organization_id: string;
  configuration_id: string;
  state: Defaulted<RegistrationSyncState>;
  desired: Defaulted<"registered" | "cancelled">;
  provider_registrant_id: string | null;
  join_url: string | null;
  attempts: Defaulted<number>;
  lease_until: Timestamp | null;
  /** The holder's fencing token (migration 0091, src/jobs/lease.ts). */
  lease_token: string | null;
  last_error: string | null;
  last_attempt_at: Timestamp | null;
  synced_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AttendanceTable {
  registration_id: string;
  webinar_id: string;
  organization_id: string;
  live_minutes: number;
  on_demand_minutes: number;
  engagement_score: number | null;
  questions_asked: number;
  polls_answered: number;
  resources_downloaded: number;
  first_activity_at: Timestamp | null;
  last_activity_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface ProviderRateBucketsTable {
  configuration_id: string;
  tokens: number;
  refilled_at: Timestamp;
}

export interface WebinarTables {
  webinar_terms: WebinarTermsTable;
  webinar_configurations: WebinarConfigurationsTable;
  webinar_secrets: WebinarSecretsTable;
  webinars: WebinarsTable;
  registration_syncs: RegistrationSyncsTable;
  attendance: AttendanceTable;
  provider_rate_buckets: ProviderRateBucketsTable;
}

export type WebinarConfigurationRow = Selectable<WebinarConfigurationsTable>;
export type WebinarRow = Selectable<WebinarsTable>;
export type RegistrationSyncRow = Selectable<RegistrationSyncsTable>;
