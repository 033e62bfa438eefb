// In-memory state of the GoTo simulator and the operations the control API (/_sim) exposes.
import { randomBytes } from "node:crypto";
import { mulberry32, type Rng } from "../on24/rng.ts";
import type { SentEmail } from "./emails.ts";
import type {
  AccessToken,
  Account,
  FaultKind,
  Knobs,
  SimRegistrantRecord,
  SimSession,
  SimulatorOptions,
  SimWebinar,
} from "./types.ts";

export const DEFAULT_KNOBS: Knobs = {
  accessTokenTtlSeconds: 3600,
  rateLimitPerSecond: 10,
  retryAfterSeconds: null,
  latencyMs: 0,
  jitterMs: 0,
  faultRateBeforeCommit: 0,
  faultRateAfterCommit: 0,
  readFaultRate: 0,
  faultKinds: ["500", "502", "503", "reset"],
  tokenCarriesOrganizerKey: true,
  rotateRefreshTokens: false,
};

/** First key handed out: 2^53 + 1, so every key a client sees is beyond what a double holds exactly. */
const FIRST_KEY = 9_007_199_254_740_993n;

export class GotoSimState {
  readonly accounts: Account[];
  knobs: Knobs;
  tokens = new Map<string, AccessToken>();
  webinars = new Map<bigint, SimWebinar>();
  registrants = new Map<bigint, SimRegistrantRecord>();
  /** webinarKey → lower-cased email → registrants created (applied POSTs that made a new one). */
  createdCounts = new Map<bigint, Map<string, number>>();
  sessions = new Map<bigint, SimSession[]>();
  requestCounts = new Map<string, number>();
  /** Requests answered 429 by the rate limit. */
  rateLimited = 0;
  /** Accepted API requests per organizer in the last second (sliding window of timestamps). */
  private recent = new Map<bigint, number[]>();
  /** Emails GoTo would have sent registrants, in order (GET /_sim/emails); cleared by reset. */
  sentEmails: SentEmail[] = [];
  clockOffsetMs = 0;
  rng: Rng;
  private nextKey = FIRST_KEY;

  constructor(private readonly options: SimulatorOptions) {
    this.accounts = options.accounts.map((a) => ({
      clientId: a.clientId,
      clientSecret: a.clientSecret,
      refreshToken: a.refreshToken,
      organizerKey: a.organizerKey,
      accountKey: a.accountKey ?? "9999982253621659654",
      organizerEmail: a.organizerEmail ?? "organizer@example.org",
      organizerName: a.organizerName ?? "Sim Organizer",
      refreshTokens: new Set([a.refreshToken]),
      permitted: true,
      refreshExpired: false,
    }));
    this.knobs = { ...DEFAULT_KNOBS, ...options.knobs };
    this.rng = mulberry32(options.seed ?? 5);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): number {
    this.clockOffsetMs += ms;
    return this.now();
  }

  /** Keys are unique across kinds, like GoTo's, and all above 2^53. */
  newKey(): bigint {
    // Steps of a prime keep keys irregular (and odd/even both), so a client cannot guess one.
    this.nextKey += 7919n;
    return this.nextKey;
  }

  reset(): void {
    this.tokens.clear();
    this.webinars.clear();
    this.registrants.clear();
    this.createdCounts.clear();
    this.sessions.clear();
    this.requestCounts.clear();
    this.rateLimited = 0;
    this.sentEmails = [];
    this.recent.clear();
    this.clockOffsetMs = 0;
    this.knobs = { ...DEFAULT_KNOBS, ...this.options.knobs };
    this.rng = mulberry32(this.options.seed ?? 5);
    this.nextKey = FIRST_KEY;
    for (const a of this.accounts) {
      a.refreshTokens = new Set([a.refreshToken]);
      a.permitted = true;
      a.refreshExpired = false;
    }
  }

  setKnobs(patch: Partial<Knobs>): Knobs {
    this.knobs = { ...this.knobs, ...patch };
    return this.knobs;
  }

  countRequest(endpoint: string): void {
    this.requestCounts.set(endpoint, (this.requestCounts.get(endpoint) ?? 0) + 1);
  }

  requestTotal(): number {
    let total = 0;
    for (const n of this.requestCounts.values()) total += n;
    return total;
  }

  latency(): number {
    const { latencyMs, jitterMs } = this.knobs;
    return latencyMs + (jitterMs > 0 ? this.rng() * jitterMs : 0);
  }

  /** Whether this request fails with an infrastructure fault, and which. */
  pickFault(isWrite: boolean, afterCommit: boolean): FaultKind | null {
    const k = this.knobs;
    const rate = isWrite
      ? afterCommit
        ? k.faultRateAfterCommit
        : k.faultRateBeforeCommit
      : afterCommit
        ? 0
        : k.readFaultRate;
    if (rate <= 0 || this.rng() >= rate) return null;
    return k.faultKinds[Math.floor(this.rng() * k.faultKinds.length)] ?? "500";
  }

  /** Sliding one-second window per organizer; false when the request is over the limit. */
  admit(organizerKey: bigint): boolean {
    const limit = this.knobs.rateLimitPerSecond;
    if (limit === null) return true;
    const now = Date.now();
    const window = (this.recent.get(organizerKey) ?? []).filter((t) => now - t < 1000);
    if (window.length >= limit) {
      this.rateLimited++;
      this.recent.set(organizerKey, window);
      return false;
    }
    window.push(now);
    this.recent.set(organizerKey, window);
    return true;
  }

  issueAccessToken(account: Account): AccessToken {
    const token: AccessToken = {
      token: `sim-at-${randomBytes(24).toString("base64url")}`,
      clientId: account.clientId,
      organizerKey: BigInt(account.organizerKey),
      expiresAt: this.now() + this.knobs.accessTokenTtlSeconds * 1000,
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** Expires every access token now (what 60 minutes of wall time would do). */
  expireAccessTokens(): number {
    for (const t of this.tokens.values()) t.expiresAt = this.now() - 1;
    return this.tokens.size;
  }

  accountByClient(clientId: string): Account | undefined {
    return this.accounts.find((a) => a.clientId === clientId);
  }

  accountByOrganizer(organizerKey: bigint): Account | undefined {
    return this.accounts.find((a) => BigInt(a.organizerKey) === organizerKey);
  }

  liveWebinar(organizerKey: bigint, webinarKey: bigint): SimWebinar | undefined {
    const w = this.webinars.get(webinarKey);
    return w && !w.deleted && w.organizerKey === organizerKey ? w : undefined;
  }

  registrantsOf(webinarKey: bigint, includeDeleted = false): SimRegistrantRecord[] {
    return [...this.registrants.values()].filter(
      (r) => r.webinarKey === webinarKey && (includeDeleted || !r.deleted),
    );
  }

  noteCreated(webinarKey: bigint, email: string): void {
    const per = this.createdCounts.get(webinarKey) ?? new Map<string, number>();
    const key = email.toLowerCase();
    per.set(key, (per.get(key) ?? 0) + 1);
    this.createdCounts.set(webinarKey, per);
  }
}
