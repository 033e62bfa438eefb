// Entities and knobs of the Microsoft Graph virtual-events simulator. Property names follow Graph's
// resource types (node_modules/@microsoft/microsoft-graph-types) so rendering is a projection.

export interface AppConfig {
  clientId: string;
  clientSecret: string;
  /**
   * Whether the tenant admin created an application access policy for the organizer. Without
   * one, Graph answers 403 to every virtual-event call of the app (docs/providers/teams.md, failure mode 1).
   */
  accessPolicy?: boolean;
  /** The secret exists but has expired (AADSTS7000222): an admin must create a new one. */
  secretExpired?: boolean;
  /** Registered redirect URIs (authorization code flow); absent: any http(s) URI is accepted. */
  redirectUris?: string[];
}

export interface TenantConfig {
  tenantId: string;
  /** The Entra user who organizes the webinars the app creates, and who signs in to consent. */
  organizerUserId: string;
  /** That user's display name (Graph `/me`); default "Olivia Organizer". */
  organizerName?: string;
  apps: AppConfig[];
}

export interface Knobs {
  /** Added before every Graph and token answer. */
  latencyMs: number;
  /** Graph requests per second per app before 429 + Retry-After; null = unlimited. */
  requestsPerSecond: number | null;
  /** Share (0..1) of Graph write calls that fail. */
  faultRate: number;
  /** Of those, the share that fail after the write committed (stored, but 500 or a reset). */
  faultAfterCommitShare: number;
  /** Lifetime of issued access tokens. Graph's are about an hour. */
  tokenLifetimeSeconds: number;
  /** Items per page of every collection (Graph decides page sizes itself; this makes paging testable). */
  pageSize: number;
  /**
   * Registering an e-mail that already holds a registration: Graph does not document it
   * (docs/providers/teams.md, "Duplicates"), so both behaviours are available. "create" (default) makes a
   * second registration, so any duplicate our side causes is visible in the registrant report.
   */
  duplicateEmail: "create" | "conflict";
  /** Longest subscription lifetime accepted (virtual events: one day). */
  maxSubscriptionMinutes: number;
  /** The authorize endpoint approves at once (no consent page); the query `sim_auto=1` does too. */
  autoConsent: boolean;
  /**
   * Real Graph: creating, publishing, updating and cancelling webinars need a delegated token
   * ("Application: Not supported"). Off by default so app-only clients keep working here.
   */
  delegatedWritesOnly: boolean;
  /** Authorization codes are redeemable this long (Microsoft: about 10 minutes). */
  authCodeLifetimeSeconds: number;
}

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 0,
  requestsPerSecond: null,
  faultRate: 0,
  faultAfterCommitShare: 0.5,
  tokenLifetimeSeconds: 3599,
  pageSize: 100,
  duplicateEmail: "create",
  maxSubscriptionMinutes: 1440,
  autoConsent: false,
  delegatedWritesOnly: false,
  authCodeLifetimeSeconds: 600,
};

export interface TeamsSimOptions {
  tenants: TenantConfig[];
  knobs?: Partial<Knobs>;
  seed?: number;
  host?: string;
  port?: number;
  logger?: boolean;
}

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface SimRegistration {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  status: "registered" | "canceled";
  registrationDateTime: string;
  cancelationDateTime: string | null;
  preferredTimezone: string;
  preferredLanguage: string;
}

export interface SimRecord {
  id: string;
  emailAddress: string;
  registrationId: string | null;
  role: "Attendee";
  totalAttendanceInSeconds: number;
  attendanceIntervals: { joinDateTime: string; leaveDateTime: string; durationInSeconds: number }[];
  identity: { id: string; displayName: string };
}

export interface SimReport {
  id: string;
  totalParticipantCount: number;
  meetingStartDateTime: string;
  meetingEndDateTime: string;
  records: SimRecord[];
}

export interface SimSession {
  id: string;
  joinWebUrl: string;
  startDateTime: DateTimeTimeZone;
  endDateTime: DateTimeTimeZone;
  reports: SimReport[];
}

export interface SimEvent {
  id: string;
  tenantId: string;
  collection: "webinars" | "townhalls";
  status: "draft" | "published" | "canceled";
  displayName: string;
  description: { contentType: string; content: string };
  startDateTime: DateTimeTimeZone;
  endDateTime: DateTimeTimeZone;
  audience: string;
  organizerUserId: string;
  /** Who created it: the app, and the signed-in organizer when the token was delegated. */
  createdWith: { clientId: string; userId: string | null; token: "delegated" | "app" };
  /** virtualEventExternalInformation set at creation (applicationId is the creating app's). */
  externalEventInformation: { applicationId: string; externalEventId: string }[];
  sessions: SimSession[];
  registrations: SimRegistration[];
  /** Registrations created per lower-cased e-mail (more than 1 = a duplicate). */
  createdCount: Map<string, number>;
}

export interface SimSubscription {
  id: string;
  tenantId: string;
  clientId: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: Date;
}

export interface Delivery {
  subscriptionId: string;
  resource: string;
  changeType: string;
  status: number | "error";
  at: string;
}
