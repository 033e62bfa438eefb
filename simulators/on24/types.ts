// Shared types of the ON24 simulator. Nothing in src/ may import this directory.

export type Region = "NA" | "EU";

export interface AccountConfig {
  clientId: number;
  accessTokenKey: string;
  accessTokenSecret: string;
  region?: Region;
}

/**
 * Faults. "drop" destroys the TCP socket without any response; "hang" holds the request for
 * `hangMs` and then drops it (a client timeout); "quota403" is ON24's quota answer;
 * "429"/"429-bare" a throttling proxy with and without Retry-After; "malformed" a 200 whose
 * JSON does not parse; "truncated" a 200 whose body stops short of its Content-Length.
 */
export type FaultKind =
  | "500"
  | "502"
  | "503"
  | "drop"
  | "hang"
  | "quota403"
  | "429"
  | "429-bare"
  | "malformed"
  | "truncated";

export interface QuotaConfig {
  /** Requests allowed per account per window (all endpoints together). */
  limit: number;
  windowMs: number;
}

export interface Knobs {
  latencyMs: number;
  jitterMs: number;
  /** Fraction (0..1) of requests failed *before* processing: nothing is applied. */
  errorRate: number;
  /** Fraction (0..1) of writes that are applied and then answered with a fault. */
  faultAfterCommitRate: number;
  faultKinds: FaultKind[];
  /** Kinds for after-commit faults; empty means the same as `faultKinds`. */
  faultAfterCommitKinds: FaultKind[];
  /** How long a "hang" fault holds the request before dropping it. */
  hangMs: number;
  quota: QuotaConfig | null;
  /** ON24 answers quota exhaustion with 403; 429 exists only to test clients against the DataGrail claim. */
  quotaStatus: 403 | 429;
  /** Attendance (attendee/attendeesession/eventanalytics) becomes visible this long after a run ends. */
  publicationLagMs: number;
  /** ON24 disables tokens idle for 60 days; measured on the simulator clock. 0 disables the check. */
  tokenIdleExpiryDays: number;
}

export interface ScriptedFault {
  kind: FaultKind;
  afterCommit: boolean;
  /** Only match this endpoint key, e.g. "POST /client/{clientId}/event/{eventId}/registrant". */
  endpoint?: string;
}

export interface SimulatorOptions {
  accounts: AccountConfig[];
  port?: number;
  host?: string;
  /** Seed of the fault/latency PRNG, so fault sequences are reproducible. */
  seed?: number;
  knobs?: Partial<Knobs>;
  /** Log requests to stderr (fastify logger). */
  logger?: boolean;
}

export interface Account extends Required<AccountConfig> {
  active: boolean;
  clientActive: boolean;
  lastUsedAt: number;
}

export interface RegField {
  fieldid: string;
  fieldcaption: string;
  fieldtype: string;
  validationtype: string;
  required: "Y" | "N";
  options?: string[];
}

export interface SimEvent {
  eventId: number;
  clientId: number;
  region: Region;
  title: string;
  eventAbstract: string;
  promotionalSummary: string;
  /** Scheduled start ("goodAfter"), epoch ms. */
  goodAfter: number;
  durationMin: number;
  timeZone: string;
  eventType: string;
  languageCd: string;
  countryCd: string;
  campaignCode: string;
  tags: string[];
  archiveAvailable: boolean;
  hybrid: string;
  venue: string;
  address: string;
  testevent: string;
  registrationEnabled: boolean;
  sourceEventId: number;
  audienceKey: string;
  reportKey: string;
  createdAt: number;
  updatedAt: number;
  deleted: boolean;
  regfields: RegField[];
  run: RunResult | null;
  /** The event's email notifications (EmailNotificationDetails / UpdateEmailNotification). */
  emails: SimEmailNotification[];
}

/** One email notification of an event, as GET /event/{eventId}/email lists it. */
export interface SimEmailNotification {
  emailid: number;
  emailtype: string;
  activated: "Y" | "N";
  whentosend: string;
  goodafter: string;
  from: string;
  fromlabel: string;
  replyto: string;
  subject: string;
  body: string;
}

/** An email ON24 would have sent a registrant (inspection only: GET /_sim/emails). */
export interface SentEmail {
  eventId: number;
  emailId: number;
  to: string;
  kind: "confirmation" | "reminder";
}

export type UserStatus = "active" | "deleted" | "forgotten";

export interface SimRegistrant {
  eventuserid: number;
  eventId: number;
  clientId: number;
  /** Response-named fields (lowercase), e.g. firstname, jobtitle, std1. Email lives here too. */
  fields: Record<string, string>;
  createdAt: number;
  lastActivity: number;
  status: UserStatus;
  blocked: boolean;
  walkIn: boolean;
  /** How many applied POST …/registrant calls carried this person (1 = created once, 2 = re-posted). */
  createCount: number;
  /** Original email, kept after "forget" so /_sim reports stay readable. */
  originalEmail: string;
}

export interface SessionRow {
  id: number;
  eventuserid: number;
  usage: "Live" | "Archived";
  start: number;
  end: number;
}

export interface Attendance {
  eventuserid: number;
  liveMinutesExact: number;
  archiveMinutesExact: number;
  questions: { questionid: number; createtimestamp: number; content: string; answer: string | null }[];
  polls: { pollid: number; pollquestionid: number; pollquestion: string; answer: string; at: number }[];
  resources: { resourceid: number; resourceviewed: string; at: number }[];
  engagementscore: number;
  sessions: SessionRow[];
}

export interface RunResult {
  seed: string;
  endedAt: number;
  attendance: Map<number, Attendance>;
}
