/**
 * The provider contract: what Auditorium needs from a webinar service. A small required
 * core every provider implements, plus optional capabilities a provider may have. Adapters
 * know nothing of our database; they take plain values and return plain values, and throw
 * `ProviderError` with a `kind` the sync engine acts on.
 *
 * Ids are strings everywhere (GoTo keys exceed 2^53; ON24 ids are numbers in JSON).
 */

import type { OptionalCapabilities } from "./contract-optional.ts";

// The optional capabilities and their types are part of the contract: importers keep using this file.
export type * from "./contract-optional.ts";

export type ProviderKind = "on24" | "zoom" | "goto" | "teams" | "http-contract";

/** The provider kinds, in the order they are offered. */
export const PROVIDER_KINDS = [
  "on24",
  "zoom",
  "goto",
  "teams",
  "http-contract",
] as const satisfies readonly ProviderKind[];

/** Decrypted credentials, kept as Buffers until the adapter builds its request. */
export type Credentials = Record<string, Buffer>;

/** Non-secret settings of one provider account (ON24: region). */
export type ProviderSettings = Record<string, string>;

/**
 * A delegated user's access token, got by the module that keeps the user's refresh token (the
 * Teams organizer's consent). `rejected`: the provider refused this token (401), get a new one.
 */
export type DelegatedTokenSource = (options?: { rejected?: string }) => Promise<string>;

export interface ProviderAccount {
  credentials: Credentials;
  settings: ProviderSettings;
  /** Set when a user consented on the account's behalf (Teams: the connected organizer). */
  delegatedToken?: DelegatedTokenSource | undefined;
  /**
   * Uses a credential the provider replaces as it is used (GoTo's refresh token). `use` gets
   * the stored value and returns its result and, when the provider issued one, the
   * replacement. The caller stores the replacement sealed in the same transaction that read
   * (and row-locked) the value for `use`, so no two processes spend one token and a
   * replacement outlives a restart. Absent (an adapter driven directly, in tests), the adapter
   * uses `credentials[field]` and keeps a replacement in memory only.
   */
  rotating?: <T>(field: string, use: (current: string) => Promise<RotatedUse<T>>) => Promise<T>;
}

/** What a use of a rotating credential gave: its result, and the provider's replacement if any. */
export interface RotatedUse<T> {
  result: T;
  replacement?: string | undefined;
}

export interface WebinarSpec {
  title: string;
  description: string;
  startsAt: Date;
  endsAt: Date;
  /** IANA zone of the event, for providers that display local time. */
  timeZone: string;
  language: string;
  /** Provider-specific webinar type (ON24 event type), when the provider has types. */
  webinarType?: string | undefined;
  /**
   * Our webinar id, stable across retries. Every adapter stores it with the webinar in a field
   * the provider lists back (docs/webinars.md, "Creating a webinar exactly once"), so
   * `findWebinarByReference` can find a webinar whose create answer was lost.
   */
  externalRef?: string | undefined;
  /**
   * Whether the provider sends its own registrant confirmation and reminder emails (one
   * sender, never two: false when Auditorium sends them). Undefined: nobody chose; the
   * adapter leaves the provider's default alone. Providers without such a switch ignore it.
   */
  providerSendsRegistrantEmails?: boolean | undefined;
  /**
   * The event's own registration questions, in order (docs/registration-questions.md).
   * Providers that must know a webinar's questions before they take answers (Zoom) set them
   * with the webinar; the others ignore this.
   */
  questions?: RegistrationQuestionSpec[] | undefined;
}

export type RegistrationQuestionType = "text" | "single_choice" | "multiple_choice" | "checkbox";

export interface RegistrationQuestionSpec {
  /** The question as registrants read it: how providers without ids match answers to it. */
  label: string;
  type: RegistrationQuestionType;
  required: boolean;
  /** Option labels of a choice question; empty otherwise. */
  options: string[];
  /** Longest text answer taken (text questions). */
  maxLength: number | null;
}

/** One answer of a registrant, in the words of the question (providers know no ids of ours). */
export interface RegistrantAnswer {
  question: string;
  type: RegistrationQuestionType;
  /** Text; the chosen option's label (single choice) or labels (multiple choice); a checkbox's state. */
  value: string | string[] | boolean;
  /** ON24 only: the registration field the organiser chose for the question (std1…, jobFunction…). */
  on24Field?: string | null | undefined;
}

/** What `findWebinarByReference` looks for: our reference, and when the create may have been sent. */
export interface WebinarReference {
  externalRef: string;
  /** The first time a create for this reference may have been sent (lists filtered by date use it). */
  createdAfter: Date;
  /** The webinar's start as we last asked for it (lists filtered by webinar time use it). */
  startsAt: Date;
}

export interface ProvisionedWebinar {
  providerWebinarId: string;
  /** The audience URL shared by everyone, when the provider has one. */
  joinUrl: string | null;
}

export interface RegistrantSpec {
  email: string;
  firstName: string;
  lastName: string;
  company: string | null;
  jobTitle: string | null;
  /** Answers to the event's registration questions; providers without questions ignore them. */
  answers?: RegistrantAnswer[] | undefined;
  /** The campaign the registration came from (UTM parameters), for providers with fields for it. */
  campaign?: RegistrantCampaign | undefined;
}

/** UTM parameters of a registration; null where not known. The referrer is never sent (no provider has a field). */
export interface RegistrantCampaign {
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

export interface ProviderRegistrant {
  providerRegistrantId: string;
  email: string;
  /** Personal join link when the provider issues one; otherwise the webinar's audience URL. */
  joinUrl: string | null;
}

/** A person as a provider reports them (attendance, registrant lists): its id, the address, what it holds of them. */
export interface ProviderPerson {
  providerRegistrantId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  jobTitle: string | null;
}

/** One person's viewing of one webinar as the provider reports it (summed over join segments). */
export interface AttendanceRecord extends ProviderPerson {
  liveMinutes: number;
  onDemandMinutes: number;
  engagementScore: number | null;
  questionsAsked: number;
  pollsAnswered: number;
  resourcesDownloaded: number;
  firstActivityAt: Date | null;
  lastActivityAt: Date | null;
}

export interface AttendancePage {
  records: AttendanceRecord[];
  /** Opaque position to continue from; null when everything published so far was returned. */
  nextCursor: string | null;
}

export interface CredentialCheck {
  status: "healthy" | "not_authenticated" | "forbidden" | "unhealthy" | "token_expired";
  message: string;
}

/**
 * What a failed credential check means for the account's health: unusable credentials,
 * expired tokens and missing permissions are told apart; anything else (quota, outage,
 * unexpected answer) means the credentials may be fine but the account is not usable now.
 * Anything that is not a ProviderError is a bug and is rethrown.
 */
export function credentialCheckFromError(err: unknown): CredentialCheck {
  if (!(err instanceof ProviderError)) throw err;
  const status =
    err.kind === "auth"
      ? "not_authenticated"
      : err.kind === "token_expired" || err.kind === "forbidden"
        ? err.kind
        : "unhealthy";
  return { status, message: err.message };
}

/**
 * A credential check made of one authenticated read: the read going through is health, and its
 * error says what is wrong (as credentialCheckFromError tells it).
 */
export async function credentialCheckByRead(
  healthyMessage: string,
  read: () => Promise<unknown>,
): Promise<CredentialCheck> {
  try {
    await read();
    return { status: "healthy", message: healthyMessage };
  } catch (err) {
    return credentialCheckFromError(err);
  }
}

/**
 * What went wrong, in the terms the sync engine acts on:
 * - `quota`: the account's request quota is spent — pause the whole account, keep attempts;
 * - `rate_limited`: slow down (429), optionally `retryAfterMs`;
 * - `auth`: credentials unusable — stop and flag "not authenticated" (or token expired);
 * - `forbidden`: the account may not do this (permission, tier, inactive client);
 * - `not_found`: the object is gone at the provider;
 * - `conflict`: the provider already has it (duplicate);
 * - `invalid`: the provider refused our data — retrying will not help;
 * - `transient`: 5xx, timeout, reset, malformed answer — retry with back-off.
 */
export type ProviderErrorKind =
  | "quota"
  | "rate_limited"
  | "auth"
  | "token_expired"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "invalid"
  | "transient";

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = "ProviderError";
  }
  get retryable(): boolean {
    return this.kind === "quota" || this.kind === "rate_limited" || this.kind === "transient";
  }
}

/**
 * A webinar service: the required core below, plus the optional capabilities of
 * contract-optional.ts that a provider may have.
 */
export interface WebinarProvider extends OptionalCapabilities {
  readonly kind: ProviderKind;
  /** Names of the credential fields, all required (ON24: clientId, accessTokenKey, accessTokenSecret). */
  readonly credentialFields: readonly string[];

  checkCredentials(account: ProviderAccount): Promise<CredentialCheck>;
  createWebinar(account: ProviderAccount, spec: WebinarSpec): Promise<ProvisionedWebinar>;
  /**
   * The live webinar created with `spec.externalRef` = `reference.externalRef`, or null. The
   * sync engine calls it before any create that may follow one whose answer was lost (a crash,
   * a timeout, a reset), and adopts what it finds instead of creating a second webinar.
   */
  findWebinarByReference(
    account: ProviderAccount,
    reference: WebinarReference,
  ): Promise<ProvisionedWebinar | null>;
  updateWebinar(account: ProviderAccount, providerWebinarId: string, spec: WebinarSpec): Promise<void>;
  /** Cancels/deletes at the provider; an already-deleted webinar is success. */
  deleteWebinar(account: ProviderAccount, providerWebinarId: string): Promise<void>;
  register(
    account: ProviderAccount,
    providerWebinarId: string,
    person: RegistrantSpec,
  ): Promise<ProviderRegistrant>;
  /** Cancels a registration; one already gone is success. */
  cancelRegistration(
    account: ProviderAccount,
    providerWebinarId: string,
    registrant: { providerRegistrantId: string; email: string },
  ): Promise<void>;
  /** Attendance published since a cursor (null = from the start). */
  listAttendance(
    account: ProviderAccount,
    providerWebinarId: string,
    cursor: string | null,
  ): Promise<AttendancePage>;
}
