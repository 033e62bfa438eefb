// Types of the Zoom Webinars simulator (see README.md for what each knob means).

export interface ZoomAccountConfig {
  accountId: string;
  clientId: string;
  clientSecret: string;
}

export type RateCategory = "light" | "medium" | "heavy";
export type FaultKind = "500" | "502" | "reset";

export interface Knobs {
  /** `expires_in` of issued tokens, seconds (Zoom: 3599). */
  tokenLifetimeSeconds: number;
  /** Issuing a token invalidates the account's earlier ones (a reported Zoom failure mode). */
  invalidatePreviousTokens: boolean;
  latencyMs: number;
  jitterMs: number;
  /** Fraction of write calls failed before anything is applied. */
  faultRate: number;
  /** Fraction of write calls applied and then answered with a fault. */
  faultAfterCommitRate: number;
  faultKinds: FaultKind[];
  /** Requests per second per account and label; null = unlimited. */
  rateLimits: Record<RateCategory, number | null>;
  /** Add-registrant requests per registrant (email) per webinar per UTC day (Zoom: 3). */
  registrantDailyCap: number;
  /** Registrant status requests per registrant per webinar per UTC day (Zoom: 10). */
  registrantStatusDailyCap: number;
  /**
   * Off (Zoom): adding an e-mail already registered returns that registrant. On: every add
   * creates another one, so tests can prove the client itself never registers twice.
   */
  duplicateRegistrants: boolean;
}

export const DEFAULT_KNOBS: Knobs = {
  tokenLifetimeSeconds: 3599,
  invalidatePreviousTokens: false,
  latencyMs: 0,
  jitterMs: 0,
  faultRate: 0,
  faultAfterCommitRate: 0,
  faultKinds: ["500", "502", "reset"],
  // Business+ per-second limits (docs/providers/zoom.md).
  rateLimits: { light: 80, medium: 60, heavy: 40 },
  registrantDailyCap: 3,
  registrantStatusDailyCap: 10,
  duplicateRegistrants: false,
};

export interface WebhookConfig {
  url: string;
  secretToken: string;
}

export interface ZoomSimulatorOptions {
  accounts: ZoomAccountConfig[];
  knobs?: Partial<Knobs>;
  webhook?: WebhookConfig;
  seed?: number;
  port?: number;
  host?: string;
  logger?: boolean;
}

export interface SimWebinar {
  id: number;
  uuid: string;
  accountId: string;
  hostId: string;
  topic: string;
  type: 5 | 6 | 9;
  startTime: string;
  duration: number;
  timezone: string;
  agenda: string;
  createdAt: string;
  deleted: boolean;
  /** settings.registrants_confirmation_email / registrants_email_notification (Zoom's default: on). */
  confirmationEmail: boolean;
  reminderEmails: boolean;
  registrants: SimRegistrant[];
  /** Published participants report rows (one per join segment), empty until run. */
  report: ReportRow[];
  /** The cloud recording, once the webinar has run (ended). */
  recording?: { key: string; passcode: string; start: string; end: string };
}

export interface SimRegistrant {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  org: string;
  jobTitle: string;
  status: "approved" | "pending" | "denied";
  cancelled: boolean;
  createTime: string;
  joinUrl: string;
  /** How many times a registrant with this email was created (more than 1 = duplicate). */
  createdCount: number;
}

export interface ReportRow {
  id: string;
  user_id: string;
  name: string;
  user_email: string;
  registrant_id: string;
  join_time: string;
  leave_time: string;
  duration: number;
  status: "in_meeting";
  failover: boolean;
}
