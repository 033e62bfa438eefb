import type { ColumnType, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export type ProviderErasureState = "pending" | "done" | "failed";

export interface PrivacySettingsTable {
  organization_id: string;
  block_reimport: Defaulted<boolean>;
  /** Random per-organization salt for `erasures.email_hash` (base64). */
  hash_salt: string;
  /** Retention (migration 0040), in days; null keeps forever. Registrations of events that ended longer ago. */
  retention_registrations_days: ColumnType<number | null, number | null | undefined, number | null>;
  /** Attendance (webinar attendance and check-ins) of events that ended longer ago. */
  retention_attendance_days: ColumnType<number | null, number | null | undefined, number | null>;
  /** Audit entries created longer ago. */
  retention_audit_days: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ErasuresTable {
  id: string;
  organization_id: string;
  requested_by: string | null;
  /** HMAC-SHA256(salt, normalized email), only when the organization blocks re-import. */
  email_hash: string | null;
  contacts_erased: Defaulted<number>;
  registrations_erased: Defaulted<number>;
  created_at: CreatedAt;
}

export interface ProviderErasuresTable {
  id: string;
  organization_id: string;
  erasure_id: string;
  configuration_id: string;
  provider: string;
  state: Defaulted<ProviderErasureState>;
  attempts: Defaulted<number>;
  last_error: string | null;
  /** The address, envelope-sealed; set to null as soon as the provider confirms. */
  sealed_email: ColumnType<unknown | null, string | null | undefined, string | null>;
  /**
   * HMAC of the normalized address (per-organization salt) while the provider may still hold
   * the person, so data coming back from the provider is not re-imported; null once done.
   */
  pending_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * The webinars at the provider that received the person (migration 0151): provider webinar
   * and registrant ids, for providers that forget per webinar; null once done.
   */
  targets: ColumnType<
    { providerWebinarId: string; providerRegistrantId: string | null }[] | null,
    string | null | undefined,
    string | null
  >;
  /** What the provider still keeps after the erasure, in words for the admin (migration 0151). */
  retained: ColumnType<string[] | null, string | null | undefined, string | null>;
  lease_until: Timestamp | null;
  /** The holder's fencing token (migration 0091, src/jobs/lease.ts). */
  lease_token: string | null;
  /** The holder process\'s liveness key (migration 0195, src/jobs/liveness.ts). */
  lease_holder: number | null;
  last_attempt_at: Timestamp | null;
  alerted_at: Timestamp | null;
  completed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PrivacyTables {
  privacy_settings: PrivacySettingsTable;
  erasures: ErasuresTable;
  provider_erasures: ProviderErasuresTable;
}

export type ErasureRow = Selectable<ErasuresTable>;
export type ProviderErasureRow = Selectable<ProviderErasuresTable>;
