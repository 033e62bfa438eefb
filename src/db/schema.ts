import type { ColumnType, Insertable, Selectable, Updateable } from "kysely";
import type { AuditTables } from "./schema-audit.ts";
import type { EmailTables } from "./schema-email.ts";
import type { PrivacyTables } from "./schema-privacy.ts";
import type { RegistrantTables } from "./schema-registrants.ts";
import type { WebhookTables } from "./schema-webhooks.ts";
import type { WebhooksOutTables } from "./schema-webhooks-out.ts";
import type { WebinarTables } from "./schema-webinars.ts";

/** A timestamptz column: read as Date, written as Date or ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export type Role = "owner" | "admin" | "marketer" | "viewer";
export type ContactMatching = "email" | "name" | "email_name";
export type EventFormat = "onsite" | "webinar" | "hybrid";
export type EventStatus = "draft" | "published" | "cancelled";
/** `pending_confirmation`: double opt-in, waiting for the click (never sent to a provider). */
export type RegistrationStatus = "pending_confirmation" | "registered" | "waitlisted" | "cancelled";
export type RegistrationSource = "api" | "public" | "import" | "provider";
export type FieldRequirement = "required" | "optional";
export type RegistrationFields = Partial<Record<"company" | "jobTitle", FieldRequirement>>;
/** One custom registration question as stored (checked by events/registration-questions.ts). */
export interface RegistrationQuestionRecord {
  id: string;
  type: "text" | "single_choice" | "multiple_choice" | "checkbox";
  label: string;
  required: boolean;
  options: { id: string; label: string }[];
  maxLength: number | null;
  on24Field: string | null;
}
export type ImportStatus = "pending" | "running" | "completed" | "failed";

export interface OrganizationsTable {
  id: string;
  name: string;
  contact_matching: ColumnType<ContactMatching, ContactMatching | undefined, ContactMatching>;
  /** Branding of the organization's emails (migration 0120). */
  logo_url: ColumnType<string | null, string | null | undefined, string | null>;
  brand_color: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  /** The language of the user's emails (migration 0121). */
  language: ColumnType<"en" | "nb", "en" | "nb" | undefined, "en" | "nb">;
  created_at: CreatedAt;
}

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: Role;
  created_at: CreatedAt;
}

export interface UserSessionsTable {
  token_hash: string;
  user_id: string;
  organization_id: string;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

export interface SignInLinksTable {
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  /** A password-reset link also clears the old password when used (migration 0121). */
  purpose: ColumnType<"sign_in" | "password_reset", "sign_in" | "password_reset" | undefined, never>;
  created_at: CreatedAt;
}

export interface MemberInvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  name: string;
  role: Role;
  language: "en" | "nb";
  token_hash: string;
  invited_by: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
}

export interface ApiTokensTable {
  id: string;
  organization_id: string;
  name: string;
  role: Role;
  token_hash: string;
  token_prefix: string;
  created_by: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface EventsTable {
  id: string;
  organization_id: string;
  title: string;
  description: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  time_zone: string;
  format: EventFormat;
  language: string;
  capacity: number | null;
  registration_opens_at: Timestamp | null;
  registration_closes_at: Timestamp | null;
  status: ColumnType<EventStatus, EventStatus | undefined, EventStatus>;
  slug: string;
  registration_fields: Json<RegistrationFields>;
  /** Custom registration questions in display order (migration 0185; events/registration-questions.ts). */
  registration_questions: ColumnType<RegistrationQuestionRecord[], string | undefined, string>;
  consent_text: string | null;
  webinar_configuration_id: ColumnType<string | null, string | null | undefined, string | null>;
  webinar_type: ColumnType<string | null, string | null | undefined, string | null>;
  /** The registrants' `.ics` SEQUENCE; kept by triggers (migration 0131), never written by code. */
  calendar_sequence: ColumnType<number, never, never>;
  /** The sequence registrants were last told about (registrations/event-notices.ts). */
  notified_calendar_sequence: ColumnType<number, never, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface EventSessionsTable {
  id: string;
  organization_id: string;
  event_id: string;
  title: string;
  description: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  format: EventFormat | null;
  webinar_configuration_id: ColumnType<string | null, string | null | undefined, string | null>;
  webinar_type: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ContactsTable {
  id: string;
  organization_id: string;
  first_name: string;
  last_name: string;
  email: string;
  email_normalized: string;
  company: string | null;
  job_title: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface RegistrationsTable {
  id: string;
  organization_id: string;
  event_id: string;
  contact_id: string;
  status: RegistrationStatus;
  source: RegistrationSource;
  consent_text: string | null;
  consent_at: Timestamp | null;
  cancel_token_hash: string | null;
  /** Double opt-in (migration 0130): the hash of the single-use confirmation token, and when it lapses. */
  confirm_token_hash: ColumnType<string | null, string | null | undefined, string | null>;
  confirmation_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  cancelled_at: Timestamp | null;
  /** Answers to the event's questions by question id (migration 0185). */
  answers: ColumnType<Record<string, string | string[] | boolean>, string | undefined, string>;
  /** Live + on-demand minutes over the registration's attendance; kept by a trigger (migration 0060). */
  attended_minutes: ColumnType<number, never, never>;
  /** Campaign tracking (migration 0170): the UTM parameters and referrer it arrived with; null when unknown. */
  utm_source: ColumnType<string | null, string | null | undefined, string | null>;
  utm_medium: ColumnType<string | null, string | null | undefined, string | null>;
  utm_campaign: ColumnType<string | null, string | null | undefined, string | null>;
  utm_term: ColumnType<string | null, string | null | undefined, string | null>;
  utm_content: ColumnType<string | null, string | null | undefined, string | null>;
  referrer: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface RegistrationSessionsTable {
  registration_id: string;
  session_id: string;
  organization_id: string;
}

export interface CheckInsTable {
  id: string;
  organization_id: string;
  event_id: string;
  session_id: string | null;
  registration_id: string;
  kind: "onsite" | "webinar";
  webinar_id: ColumnType<string | null, string | null | undefined, string | null>;
  viewing_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  checked_in_at: Timestamp;
  created_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  organization_id: string;
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: CreatedAt;
}

export interface ImportsTable {
  id: string;
  organization_id: string;
  event_id: string;
  status: ImportStatus;
  file_name: string;
  total_rows: number;
  processed_rows: number;
  succeeded_rows: number;
  failed_rows: number;
  created_by: string;
  created_at: CreatedAt;
  finished_at: Timestamp | null;
}

export interface ImportFilesTable {
  import_id: string;
  content: string;
}

export interface ImportRowErrorsTable {
  import_id: string;
  row_number: number;
  field: string | null;
  message: string;
}

export interface Database
  extends WebinarTables,
    AuditTables,
    PrivacyTables,
    WebhookTables,
    WebhooksOutTables,
    EmailTables,
    RegistrantTables {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  user_sessions: UserSessionsTable;
  sign_in_links: SignInLinksTable;
  member_invitations: MemberInvitationsTable;
  api_tokens: ApiTokensTable;
  events: EventsTable;
  event_sessions: EventSessionsTable;
  contacts: ContactsTable;
  registrations: RegistrationsTable;
  registration_sessions: RegistrationSessionsTable;
  check_ins: CheckInsTable;
  idempotency_keys: IdempotencyKeysTable;
  imports: ImportsTable;
  import_files: ImportFilesTable;
  import_row_errors: ImportRowErrorsTable;
  sign_in_failures: SignInFailuresTable;
}

/** Failed password sign-ins per hashed key (migration 0110; src/modules/access/sign-in-limits.ts). */
export interface SignInFailuresTable {
  key_hash: string;
  window_started_at: ColumnType<Date, Date | string, Date | string>;
  failures: number;
}

export type EventRow = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
export type EventUpdate = Updateable<EventsTable>;
export type SessionRow = Selectable<EventSessionsTable>;
export type ContactRow = Selectable<ContactsTable>;
export type RegistrationRow = Selectable<RegistrationsTable>;
export type CheckInRow = Selectable<CheckInsTable>;
export type ImportRow = Selectable<ImportsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type UserRow = Selectable<UsersTable>;
