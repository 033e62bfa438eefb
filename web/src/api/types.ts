// Shapes of the public REST API (see /openapi.json and docs/web-app-api.md); the web app
// reads nothing else.
export type Role = "owner" | "admin" | "marketer" | "viewer";
export type EventFormat = "onsite" | "webinar" | "hybrid";
export type EventStatus = "draft" | "published" | "cancelled";
export type RegistrationStatus = "pending_confirmation" | "registered" | "waitlisted" | "cancelled";
export type SyncState = "pending" | "synced" | "held" | "failed" | "cancelled";
export type HealthStatus =
  | "unchecked"
  | "healthy"
  | "not_authenticated"
  | "forbidden"
  | "unhealthy"
  | "token_expired";

export interface Me {
  user: { id: string; email: string; name: string; hasPassword: boolean };
  organizationId: string;
  role: Role;
  organizations: { id: string; name: string; role: Role }[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  total?: number;
}

export interface RegistrationFields {
  company?: "required" | "optional";
  jobTitle?: "required" | "optional";
}

export type QuestionType = "text" | "single_choice" | "multiple_choice" | "checkbox";

/** A custom registration question (docs/registration-questions.md). */
export interface RegistrationQuestion {
  id: string;
  type: QuestionType;
  label: string;
  required: boolean;
  options: { id: string; label: string }[];
  maxLength: number | null;
  on24Field?: string | null;
}

/** What the form sends: ids absent on new questions and options. */
export interface RegistrationQuestionInput {
  id?: string;
  type: QuestionType;
  label: string;
  required: boolean;
  options?: { id?: string; label: string }[];
  maxLength?: number | null;
  on24Field?: string | null;
}

export type Answer = string | string[] | boolean;

export interface EventItem {
  id: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  startsAtLocal: string;
  endsAtLocal: string;
  timeZone: string;
  format: EventFormat;
  language: string;
  capacity: number | null;
  registrationOpensAt: string | null;
  registrationClosesAt: string | null;
  status: EventStatus;
  slug: string;
  registrationFields: RegistrationFields;
  registrationQuestions: RegistrationQuestion[];
  consentText: string | null;
  webinarConfigurationId: string | null;
  webinarType: string | null;
}

export interface EventInput {
  title: string;
  description?: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  format: EventFormat;
  capacity?: number | null;
  registrationOpensAt?: string | null;
  registrationClosesAt?: string | null;
  registrationFields?: RegistrationFields;
  registrationQuestions?: RegistrationQuestionInput[];
  consentText?: string | null;
  webinarConfigurationId?: string | null;
  webinarType?: string | null;
}

export interface SessionItem {
  id: string;
  eventId: string;
  title: string;
  startsAt: string;
  endsAt: string;
  startsAtLocal: string;
  endsAtLocal: string;
  format: EventFormat | null;
  effectiveFormat: EventFormat;
  webinarConfigurationId: string | null;
}

export interface SessionInput {
  title: string;
  startsAt: string;
  endsAt: string;
  format?: EventFormat | null;
  webinarConfigurationId?: string | null;
}

export interface RegistrationWebinar {
  webinarId: string;
  state: SyncState;
  joinUrl: string | null;
  lastError: string | null;
  liveMinutes: number | null;
  onDemandMinutes: number | null;
  engagementScore: number | null;
}

export interface Registration {
  id: string;
  eventId: string;
  status: RegistrationStatus;
  source: string;
  contact: { id: string; firstName: string; lastName: string; email: string; company: string | null };
  createdAt: string;
  answers?: Record<string, Answer>;
  webinar?: RegistrationWebinar[];
}

export interface ImportJob {
  id: string;
  status: "pending" | "running" | "completed" | "failed";
  fileName: string;
  totalRows: number;
  processedRows: number;
  succeededRows: number;
  failedRows: number;
  errorReportUrl: string;
}

export interface Terms {
  version: string;
  text: string;
  accepted: { version: string; acceptedAt: string; acceptedBy: { id: string; name: string } | null } | null;
  current: boolean;
}

export interface CredentialState {
  set: boolean;
  setAt: string | null;
  setBy: { id: string; name: string } | null;
}

export interface WebinarConfiguration {
  id: string;
  provider: string;
  name: string;
  settings: Record<string, string>;
  requestsPerSecond: number;
  credentials: Record<string, CredentialState>;
  enabled: boolean;
  health: { status: HealthStatus; message: string | null; checkedAt: string | null };
  /** Teams: the organizer who consented (never a token). */
  organizer: { id: string; name: string | null; connectedAt: string; rotatedAt: string } | null;
  lastMetricsAt: string | null;
  pausedUntil: string | null;
}

export interface ProviderField {
  name: string;
  label?: string;
  options?: string[];
}

export interface ProviderInfo {
  kind: string;
  label: string;
  settingsFields: ProviderField[];
  credentialFields: ProviderField[];
  webinarTypes?: { id: string; label: string }[];
}

export interface SyncIssue {
  id: string;
  kind: "registration" | "webinar";
  webinarId: string;
  state: string;
  lastError: string | null;
  attempts: number;
  updatedAt: string;
}

/** One reconciliation run with the provider's registrant list and the drift it found. */
export interface Reconciliation {
  id: string;
  trigger: "schedule" | "api";
  state: "queued" | "running" | "done" | "deferred" | "failed" | "unsupported" | "skipped";
  reason: string | null;
  requestedAt: string;
  finishedAt: string | null;
  provider: { registered: number | null; cancelled: number | null };
  drift: {
    theirsMissingHere: number | null;
    addedHere: number | null;
    cancelledHere: number | null;
    oursMissingThere: number | null;
    oursMissingThereSynced: number | null;
  };
}

export interface WebinarItem {
  id: string;
  sessionId: string | null;
  provider: string;
  providerWebinarId: string | null;
  joinUrl: string | null;
  state: string;
  lastError: string | null;
  lastMetricsAt: string | null;
  /** The provider's recording or on-demand link, once fetched after the end. */
  recording: {
    url: string;
    kind: "on_demand" | "recording";
    availableUntil: string | null;
    fetchedAt: string | null;
  } | null;
  stats: {
    registered: number;
    attendedLive: number;
    watchedOnDemand: number;
    noShow: number;
    averageMinutes: number;
    sync: { pending: number; synced: number; held: number; failed: number };
  };
}

export interface Dashboard {
  eventId: string;
  sessionId: string | null;
  timeZone: string;
  webinars: { id: string; provider: string; state: string; lastMetricsAt: string | null }[];
  registrationsOverTime: { date: string; count: number; cumulative: number }[];
  funnel: { registered: number; attendedLive: number; watchedOnDemand: number; noShow: number };
  minutesHistogram: { fromMinutes: number; toMinutes: number | null; count: number }[];
  liveVsOnDemand: {
    liveMinutes: number;
    onDemandMinutes: number;
    liveViewers: number;
    onDemandViewers: number;
  };
  topAttendees: {
    registrationId: string;
    firstName: string;
    lastName: string;
    email: string;
    minutes: number;
    engagementScore: number | null;
  }[];
  byChannel: {
    source: string;
    medium: string | null;
    registered: number;
    attended: number;
    noShow: number;
    liveMinutes: number;
    onDemandMinutes: number;
  }[];
  interactions: { questionsAsked: number; pollsAnswered: number; resourcesDownloaded: number };
  freshness: { registrations: string; attendance: string | null; computedAt: string };
}

export interface PublicEvent {
  slug: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  format: EventFormat;
  registrationOpen: boolean;
  registrationState?: "open" | "not_yet_open" | "closed";
  capacity?: { limited: boolean; full: boolean; waitlist: boolean };
  fields: Record<string, "required" | "optional">;
  consentText: string | null;
  questions?: RegistrationQuestion[];
  sessions: { id: string; title: string; startsAt: string; endsAt: string }[];
}

export interface PublicConfirmation {
  event: {
    title: string;
    slug: string;
    startsAt: string;
    endsAt: string;
    timeZone: string;
    format: "onsite" | "webinar" | "hybrid";
    status: string;
  };
  registration: { status: RegistrationStatus; createdAt: string; firstName: string };
  joinUrl: string | null;
  /** One per webinar the registrant may attend (the event's own, or each webinar session's). */
  joinLinks: { sessionId: string | null; sessionTitle: string | null; joinUrl: string }[];
  calendarUrl: string;
  cancelUrl: string;
  /** Shown as a QR code for the check-in desk; null unless registered. */
  checkInCode: string | null;
}

export type EmailState = "queued" | "deferred" | "sent" | "failed" | "kept";

export interface EmailSummary {
  id: string;
  kind: string;
  language: "en" | "nb";
  recipient: string;
  subject: string;
  state: EmailState;
  attempts: number;
  lastError: string | null;
  serverMessageId: string | null;
  registrationId: string | null;
  userId: string | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
  nextAttemptAt: string | null;
}

export interface EmailDetail extends EmailSummary {
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string }[];
}
