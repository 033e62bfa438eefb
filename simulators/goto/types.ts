// Types of the GoTo Webinar simulator. Nothing in src/ may import this directory.

export interface GotoAccountConfig {
  /** OAuth client of the integration (Basic auth at the token endpoint). */
  clientId: string;
  clientSecret: string;
  /** The organizer's refresh token, as obtained through the authorization-code flow. */
  refreshToken: string;
  /** Numeric organizer key; may exceed 2^53, so it is a string of digits. */
  organizerKey: string;
  accountKey?: string;
  organizerEmail?: string;
  organizerName?: string;
}

/** Infrastructure faults. "reset" destroys the TCP socket without any answer. */
export type FaultKind = "500" | "502" | "503" | "reset";

export interface Knobs {
  /** Access-token lifetime (GoTo: 60 minutes). */
  accessTokenTtlSeconds: number;
  /** Requests per second per organizer on the Webinar API (GoTo: 10); null switches the limit off. */
  rateLimitPerSecond: number | null;
  /** GoTo documents no Retry-After; set a number to send one with the 429. */
  retryAfterSeconds: number | null;
  latencyMs: number;
  jitterMs: number;
  /** Fraction of API writes failed before anything is applied. */
  faultRateBeforeCommit: number;
  /** Fraction of API writes applied and then answered with a fault. */
  faultRateAfterCommit: number;
  /** Fraction of API reads failed (nothing to commit). */
  readFaultRate: number;
  faultKinds: FaultKind[];
  /**
   * Older GoTo token answers carried `organizer_key`/`account_key`; the current documentation's
   * refresh answer has only access_token, expires_in, scope, principal.
   */
  tokenCarriesOrganizerKey: boolean;
  /** Each refresh issues a new refresh token and retires the old one (single use). */
  rotateRefreshTokens: boolean;
}

export interface Account extends Required<GotoAccountConfig> {
  /** The refresh tokens currently accepted (rotation replaces them). */
  refreshTokens: Set<string>;
  /** When false the organizer lacks the Webinar permission: every API call gets a permission 403. */
  permitted: boolean;
  /** The refresh token outlived its lifetime: the token endpoint says so (invalid_grant, "expired"). */
  refreshExpired: boolean;
}

export interface AccessToken {
  token: string;
  clientId: string;
  organizerKey: bigint;
  expiresAt: number;
}

export interface TimeRange {
  startTime: string;
  endTime: string;
}

export interface SimWebinar {
  webinarKey: bigint;
  webinarID: string;
  organizerKey: bigint;
  recurrenceKey: bigint | null;
  subject: string;
  description: string;
  times: TimeRange[];
  timeZone: string;
  type: "single_session" | "series" | "sequence";
  locale: string;
  experienceType: string;
  inSession: boolean;
  deleted: boolean;
  createdAt: number;
  /** emailSettings.confirmationEmail / reminderEmail `enabled` (GoTo's default: on). */
  confirmationEmail: boolean;
  reminderEmail: boolean;
  /** Custom registration questions, set by the organizer on GoTo's site (here: PUT /_sim/webinars/{key}/questions). */
  questions: SimRegistrationQuestion[];
}

/** RegistrationQuestion. Keys are int64 in the document; the simulator's stay below 2^53. */
export interface SimRegistrationQuestion {
  questionKey: number;
  question: string;
  required: boolean;
  type: "shortAnswer" | "multipleChoice";
  maxSize: number;
  answers?: { answerKey: number; answer: string }[];
}

/** RegistrantQAResponse as stored. */
export interface SimResponse {
  questionKey: number;
  responseText?: string;
  answerKey?: number;
}

export interface SimRegistrantRecord {
  registrantKey: bigint;
  webinarKey: bigint;
  email: string;
  firstName: string;
  lastName: string;
  fields: Record<string, string>;
  /** Answers to the webinar's custom questions (`responses`). */
  responses: SimResponse[];
  registrationDate: string;
  joinUrl: string;
  status: "APPROVED" | "DENIED" | "WAITING";
  deleted: boolean;
}

export interface SimInterval {
  joinTime: number;
  leaveTime: number;
}

export interface SimAttendee {
  registrantKey: bigint;
  intervals: SimInterval[];
}

export interface SimSession {
  sessionKey: bigint;
  webinarKey: bigint;
  startTime: number;
  endTime: number;
  attendees: SimAttendee[];
}

export interface SimulatorOptions {
  accounts: GotoAccountConfig[];
  port?: number;
  host?: string;
  seed?: number;
  knobs?: Partial<Knobs>;
}
