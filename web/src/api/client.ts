import type {
  Dashboard,
  EmailDetail,
  EmailSummary,
  EventInput,
  EventItem,
  ImportJob,
  Me,
  Page,
  ProviderInfo,
  PublicConfirmation,
  PublicEvent,
  Reconciliation,
  Registration,
  SessionInput,
  SessionItem,
  SyncIssue,
  Terms,
  WebinarConfiguration,
  WebinarItem,
} from "./types.ts";

/** The API's error body `{ error: { code, message, field? } }`, as a throwable. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** A 503's or 429's `Retry-After`, in seconds: the server refused the work and wrote nothing. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * The one way the browser talks to the server: same origin, the session cookie (httpOnly,
 * so no script ever sees it), JSON in and out. Nothing secret is kept in the browser.
 */
export async function call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = {
      accept: "application/json",
      "content-type": typeof body === "string" ? "text/csv" : "application/json",
    };
  }
  const res = await fetch(withQuery(path, query), init);
  const text = await res.text();
  const parsed = text && (res.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
  if (!res.ok) {
    const e = (parsed as { error?: { code: string; message: string; field?: string } })?.error;
    const retryAfter = Number(res.headers.get("retry-after"));
    throw new ApiError(
      res.status,
      e?.code ?? "http_error",
      e?.message ?? res.statusText,
      e?.field,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return parsed as T;
}

const v1 = "/api/v1";
const id = encodeURIComponent;

export const api = {
  // Access
  me: () => call<Me>("GET", `${v1}/me`),
  emailMessages: (query: Query) =>
    call<Page<EmailSummary> & { delivery: "smtp" | "kept" }>("GET", `${v1}/email/messages`, undefined, query),
  emailMessage: (messageId: string) => call<EmailDetail>("GET", `${v1}/email/messages/${id(messageId)}`),
  emailPreviewUrl: (messageId: string) => `${v1}/email/messages/${id(messageId)}/preview`,
  login: (email: string, password: string) => call("POST", `${v1}/auth/login`, { email, password }),
  signInWithLink: (token: string) => call("POST", `${v1}/auth/link`, { token }),
  /** Answered the same whether or not the address has an account. */
  emailSignInLink: (email: string) => call("POST", `${v1}/auth/sign-in-link`, { email }),
  emailPasswordReset: (email: string) => call("POST", `${v1}/auth/password-reset`, { email }),
  logout: () => call("POST", `${v1}/auth/logout`),
  switchOrganization: (organizationId: string) => call("PUT", `${v1}/me/organization`, { organizationId }),
  setPassword: (newPassword: string, currentPassword?: string) =>
    call("PUT", `${v1}/me/password`, { newPassword, ...(currentPassword ? { currentPassword } : {}) }),

  // Events and sessions
  events: (query: Query) => call<Page<EventItem>>("GET", `${v1}/events`, undefined, query),
  event: (eventId: string) => call<EventItem>("GET", `${v1}/events/${id(eventId)}`),
  createEvent: (input: EventInput) => call<EventItem>("POST", `${v1}/events`, input),
  updateEvent: (eventId: string, input: Partial<EventInput>) =>
    call<EventItem>("PATCH", `${v1}/events/${id(eventId)}`, input),
  eventAction: (eventId: string, action: "publish" | "unpublish" | "cancel") =>
    call<EventItem>("POST", `${v1}/events/${id(eventId)}/${action}`),
  sessions: (eventId: string) => call<Page<SessionItem>>("GET", `${v1}/events/${id(eventId)}/sessions`),
  createSession: (eventId: string, input: SessionInput) =>
    call<SessionItem>("POST", `${v1}/events/${id(eventId)}/sessions`, input),
  updateSession: (eventId: string, sessionId: string, input: Partial<SessionInput>) =>
    call<SessionItem>("PATCH", `${v1}/events/${id(eventId)}/sessions/${id(sessionId)}`, input),
  deleteSession: (eventId: string, sessionId: string) =>
    call("DELETE", `${v1}/events/${id(eventId)}/sessions/${id(sessionId)}`),

  // Registrations
  registrations: (eventId: string, query: Query) =>
    call<Page<Registration>>("GET", `${v1}/events/${id(eventId)}/registrations`, undefined, query),
  cancelRegistration: (registrationId: string) =>
    call<Registration>("POST", `${v1}/registrations/${id(registrationId)}/cancel`),
  registrationsCsvUrl: (eventId: string) => `${v1}/events/${id(eventId)}/registrations.csv`,
  importCsv: (eventId: string, csv: string, fileName: string) =>
    call<ImportJob>("POST", `${v1}/events/${id(eventId)}/imports`, csv, { fileName }),
  importJob: (importId: string) => call<ImportJob>("GET", `${v1}/imports/${id(importId)}`),

  // Webinars
  webinars: (eventId: string) => call<Page<WebinarItem>>("GET", `${v1}/events/${id(eventId)}/webinars`),
  pollWebinar: (webinarId: string) => call("POST", `${v1}/webinars/${id(webinarId)}/poll`),
  reconcileWebinar: (webinarId: string) =>
    call<Reconciliation>("POST", `${v1}/webinars/${id(webinarId)}/reconcile`),
  reconciliations: (webinarId: string) =>
    call<Page<Reconciliation>>("GET", `${v1}/webinars/${id(webinarId)}/reconciliations`),
  dashboard: (eventId: string, sessionId?: string) =>
    call<Dashboard>("GET", `${v1}/events/${id(eventId)}/webinar-dashboard`, undefined, { sessionId }),
  terms: () => call<Terms>("GET", `${v1}/webinar/terms`),
  acceptTerms: (version: string) => call("POST", `${v1}/webinar/terms/accept`, { version }),
  providers: () => call<{ data: ProviderInfo[] }>("GET", `${v1}/webinar-providers`),
  configurations: () => call<Page<WebinarConfiguration>>("GET", `${v1}/webinar-configurations`),
  createConfiguration: (input: {
    provider: string;
    name: string;
    settings: Record<string, string>;
    credentials: Record<string, string>;
  }) => call<WebinarConfiguration>("POST", `${v1}/webinar-configurations`, input),
  updateCredentials: (configId: string, credentials: Record<string, string>) =>
    call<WebinarConfiguration>("PATCH", `${v1}/webinar-configurations/${id(configId)}`, { credentials }),
  checkConfiguration: (configId: string) =>
    call<WebinarConfiguration>("POST", `${v1}/webinar-configurations/${id(configId)}/check`),
  removeCredentials: (configId: string) =>
    call<WebinarConfiguration>("DELETE", `${v1}/webinar-configurations/${id(configId)}/credentials`),
  startOrganizerConsent: (configId: string) =>
    call<{ authorizeUrl: string; expiresInSeconds: number }>(
      "POST",
      `${v1}/webinar-configurations/${id(configId)}/organizer-consent`,
    ),
  disconnectOrganizer: (configId: string) =>
    call<{ ok: true }>("DELETE", `${v1}/webinar-configurations/${id(configId)}/organizer`),
  issues: (configId: string) =>
    call<{ data: SyncIssue[] }>("GET", `${v1}/webinar-configurations/${id(configId)}/issues`),
  replay: (configId: string, registrationIds?: string[]) =>
    call<{ registrations: number; webinars: number }>(
      "POST",
      `${v1}/webinar-configurations/${id(configId)}/replay`,
      registrationIds ? { registrationIds } : {},
    ),

  // Public pages (no session needed)
  publicEvent: (slug: string) => call<PublicEvent>("GET", `${v1}/public/events/${id(slug)}`),
  publicRegister: (slug: string, body: Record<string, unknown>) =>
    call<{ status: "submitted" }>("POST", `${v1}/public/events/${id(slug)}/registrations`, body),
  /** Double opt-in: the click that confirms a pending registration. */
  publicConfirmOptIn: (token: string) =>
    call<{ status: "registered" | "waitlisted" }>("POST", `${v1}/public/registrations/confirm`, { token }),
  publicConfirmation: (token: string) =>
    call<PublicConfirmation>("GET", `${v1}/public/registrations/${id(token)}`),
  publicCalendarUrl: (token: string) => `${v1}/public/registrations/${id(token)}/calendar.ics`,
  /** `cancelUrl` is the same-origin path the confirmation endpoint gave. */
  publicCancel: (cancelUrl: string) => call<{ status: string }>("POST", cancelUrl),
};
