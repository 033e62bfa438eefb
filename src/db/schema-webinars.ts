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
  /** Attendance totals at the last poll, counts and sums only (migration 0150, poll-schedule.ts). */
  attendance_totals: ColumnType<string | null, string | null | undefined, string | null>;
  /** The slow schedule's last interval after the first week (migration 0150). */
  tail_poll_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  /** Held by the webinar job working on it (migration 0090). */
  lease_until: Timestamp | null;
  /** The holder's fencing token (migration 0091, src/jobs/lease.ts). */
  lease_token: string | null;
  /** The holder process\'s liveness key (migration 0195, src/jobs/liveness.ts). */
  lease_holder: number | null;
  /** A create may have been sent since then; null once the provider's id is stored (migration 0090). */
  creating_since: Timestamp | null;
  /** The provider's recording or on-demand link after the end (migration 0155). */
  recording_url: string | null;
  recording_kind: "on_demand" | "recording" | null;
  recording_available_until: Timestamp | null;
  /** When the attendance poll last asked the provider for it. */
  recording_fetched_at: Timestamp | null;
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
  /** The holder process\'s liveness key (migration 0195, src/jobs/liveness.ts). */
  lease_holder: number | null;
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
  /** The next free slot (migration 0200); src/jobs/rate-limiter.ts. */
  next_slot_at: Timestamp;
}

/** A started organizer consent (migration 0190): single use, expiring, bound to a sign-in session. */
export interface OrganizerConsentRequestsTable {
  id: string;
  state_hash: string;
  binding_hash: string;
  organization_id: string;
  configuration_id: string;
  user_id: string;
  session_hash: string;
  /** The PKCE code verifier, sealed; null once the request is used. */
  code_verifier: Json<unknown> | null;
  redirect_uri: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

/** A configuration's connected organizer and its refresh token, sealed and rotated (migration 0190). */
export interface OrganizerGrantsTable {
  configuration_id: string;
  organization_id: string;
  refresh_token: Json<unknown>;
  organizer_user_id: string;
  organizer_name: string | null;
  scope: string;
  connected_by: string | null;
  connected_at: Defaulted<Date>;
  rotated_at: Defaulted<Date>;
  rotations: Defaulted<number>;
}

export type ReconciliationState =
  | "queued"
  | "running"
  | "done"
  | "deferred"
  | "failed"
  | "unsupported"
  | "skipped";

/** Registration ids a run names (at most RECONCILE_DETAIL_IDS of each), never addresses. */
export interface ReconciliationDetails {
  oursMissingThere?: string[];
  addedHere?: string[];
  cancelledHere?: string[];
}

/** One reconciliation run of a webinar (migration 0180). */
export interface WebinarReconciliationsTable {
  id: string;
  organization_id: string;
  webinar_id: string;
  trigger: "schedule" | "api";
  state: Defaulted<ReconciliationState>;
  reason: string | null;
  provider_registered: number | null;
  provider_cancelled: number | null;
  theirs_missing_here: number | null;
  added_here: number | null;
  cancelled_here: number | null;
  ours_missing_there: number | null;
  ours_missing_there_synced: number | null;
  details: ColumnType<ReconciliationDetails, string | undefined, string>;
  requested_at: CreatedAt;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface WebinarTables {
  webinar_terms: WebinarTermsTable;
  webinar_configurations: WebinarConfigurationsTable;
  webinar_secrets: WebinarSecretsTable;
  webinars: WebinarsTable;
  registration_syncs: RegistrationSyncsTable;
  attendance: AttendanceTable;
  provider_rate_buckets: ProviderRateBucketsTable;
  organizer_consent_requests: OrganizerConsentRequestsTable;
  organizer_grants: OrganizerGrantsTable;
  webinar_reconciliations: WebinarReconciliationsTable;
}

export type WebinarConfigurationRow = Selectable<WebinarConfigurationsTable>;
export type WebinarRow = Selectable<WebinarsTable>;
export type RegistrationSyncRow = Selectable<RegistrationSyncsTable>;
export type WebinarReconciliationRow = Selectable<WebinarReconciliationsTable>;
