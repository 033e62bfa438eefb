// In-memory state of the reference implementation of the open provider contract: clients and
// their tokens, webinars, registrations (one record per webinar and e-mail, which is what makes
// registration idempotent by e-mail), attendance, stored idempotency keys, knobs and counters.
import { randomBytes } from "node:crypto";
import { mulberry32, type Rng } from "../on24/rng.ts";

export interface ContractClientAccount {
  clientId: string;
  clientSecret: string;
}

export interface Knobs {
  /** Added to every API call (not the control API), in ms. */
  latencyMs: number;
  /** Share of writes that fail before anything is stored (503 or a reset connection). */
  faultBeforeCommitRate: number;
  /** Share of writes that are stored but answered with a 500 or a reset connection. */
  faultAfterCommitRate: number;
  /** Fixed-window limit per client; over it, 429 with Retry-After. Null = unlimited. */
  rateLimit: { limit: number; windowMs: number } | null;
  /** Error code of the 429: a short-term `rate_limited` or an account-wide `quota_exceeded`. */
  rateLimitCode: "rate_limited" | "quota_exceeded";
  tokenTtlSeconds: number;
  /**
   * The contract's registration idempotency by e-mail. Turned off, the service creates a new
   * registration for every POST, like a service that does not follow the contract — so tests
   * can show the sync engine's own lookup keeps people from being registered twice.
   */
  idempotentByEmail: boolean;
}

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 0,
  faultBeforeCommitRate: 0,
  faultAfterCommitRate: 0,
  rateLimit: null,
  rateLimitCode: "rate_limited",
  tokenTtlSeconds: 3600,
  idempotentByEmail: true,
};

export const WEBINAR_TYPES = [
  { id: "standard", label: "Standard webinar", default: true },
  { id: "town-hall", label: "Town hall (attendees muted)", default: false },
  { id: "simulive", label: "Pre-recorded, played as live", default: false },
];

export interface Webinar {
  id: string;
  clientId: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  language: string;
  type: string | null;
  externalRef: string | null;
  joinUrl: string;
  status: "scheduled" | "live" | "ended";
  createdAt: string;
  updatedAt: string;
  deleted: boolean;
}

export interface Registration {
  seq: number;
  id: string;
  webinarId: string;
  email: string;
  firstName: string;
  lastName: string;
  company: string | null;
  jobTitle: string | null;
  status: "registered" | "cancelled";
  joinUrl: string;
  createdAt: string;
  cancelledAt: string | null;
  /** How many times it was registered again after a cancellation. */
  reactivatedCount: number;
}

export interface Attendee {
  seq: number;
  attendeeId: string;
  registrationId: string | null;
  email: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  jobTitle: string | null;
  liveSeconds: number;
  onDemandSeconds: number;
  intervals: { mode: "live" | "on_demand"; joinedAt: string; leftAt: string | null }[];
  engagement: {
    score: number | null;
    questionsAsked: number;
    pollsAnswered: number;
    resourcesDownloaded: number;
  };
}

export interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
  at: number;
}

export interface Delivery {
  eventId: string;
  type: string;
  attempts: number;
  status: number | null;
}

export class ContractState {
  knobs: Knobs;
  readonly clients: ContractClientAccount[];
  readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  readonly webinars = new Map<string, Webinar>();
  readonly registrations = new Map<string, Registration[]>();
  readonly attendance = new Map<string, Attendee[]>();
  readonly idempotency = new Map<string, StoredAnswer>();
  readonly requests = { total: 0, byRoute: {} as Record<string, number> };
  readonly windows = new Map<string, { start: number; count: number }>();
  webhook: { url: string; secret: string } | null = null;
  readonly deliveries: Delivery[] = [];
  erasures = 0;
  readonly rng: Rng;
  private seq = 0;

  constructor(options: { clients: ContractClientAccount[]; knobs?: Partial<Knobs>; seed?: number }) {
    this.clients = options.clients;
    this.knobs = { ...DEFAULT_KNOBS, ...options.knobs };
    this.rng = mulberry32(options.seed ?? 7);
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  newId(prefix: string): string {
    return `${prefix}_${this.nextSeq()}${randomBytes(3).toString("hex")}`;
  }

  setKnobs(k: Partial<Knobs>): void {
    this.knobs = { ...this.knobs, ...k };
  }

  countRequest(route: string): void {
    this.requests.total += 1;
    this.requests.byRoute[route] = (this.requests.byRoute[route] ?? 0) + 1;
  }

  issueToken(clientId: string): { token: string; expiresIn: number } {
    const token = randomBytes(24).toString("base64url");
    this.tokens.set(token, { clientId, expiresAt: Date.now() + this.knobs.tokenTtlSeconds * 1000 });
    return { token, expiresIn: this.knobs.tokenTtlSeconds };
  }

  /** Milliseconds to wait when the client is over its window, else null (and the call is counted). */
  overLimit(clientId: string): number | null {
    const rl = this.knobs.rateLimit;
    if (!rl) return null;
    const now = Date.now();
    let w = this.windows.get(clientId);
    if (!w || now - w.start >= rl.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(clientId, w);
    }
    if (w.count >= rl.limit) return w.start + rl.windowMs - now;
    w.count += 1;
    return null;
  }

  /** Null, "before" or "after": where a write fails this time. */
  pickFault(): "before" | "after" | null {
    const r = this.rng();
    if (r < this.knobs.faultBeforeCommitRate) return "before";
    if (r < this.knobs.faultBeforeCommitRate + this.knobs.faultAfterCommitRate) return "after";
    return null;
  }

  liveWebinar(clientId: string, id: string): Webinar | null {
    const w = this.webinars.get(id);
    return w && !w.deleted && w.clientId === clientId ? w : null;
  }

  registrationsOf(webinarId: string): Registration[] {
    let list = this.registrations.get(webinarId);
    if (!list) {
      list = [];
      this.registrations.set(webinarId, list);
    }
    return list;
  }

  attendeesOf(webinarId: string): Attendee[] {
    let list = this.attendance.get(webinarId);
    if (!list) {
      list = [];
      this.attendance.set(webinarId, list);
    }
    return list;
  }
}

export const emailKey = (email: string) => email.trim().toLowerCase();
