// In-memory state of the Zoom simulator: accounts and tokens, webinars with their registrants
// and published reports, knobs, per-second rate windows, per-registrant daily counters, request
// counts and the PRNG for faults. Routes and the control API both act on it.
import { randomBytes } from "node:crypto";
import { mulberry32, type Rng } from "../on24/rng.ts";
import {
  DEFAULT_KNOBS,
  type FaultKind,
  type Knobs,
  type RateCategory,
  type SimWebinar,
  type WebhookConfig,
  type ZoomAccountConfig,
  type ZoomSimulatorOptions,
} from "./types.ts";
import { WebhookSender } from "./webhooks.ts";

export type KnobsPatch = Partial<Omit<Knobs, "rateLimits">> & { rateLimits?: Partial<Knobs["rateLimits"]> };

interface IssuedToken {
  accountId: string;
  expiresAt: number;
  revoked: boolean;
}

/** Zoom's pagination tokens live 15 minutes. */
export const PAGE_TOKEN_TTL_MS = 15 * 60_000;

export class ZoomSimState {
  readonly accounts: ZoomAccountConfig[];
  knobs: Knobs;
  webhook: WebhookConfig | null;
  readonly tokens = new Map<string, IssuedToken>();
  readonly webinars = new Map<number, SimWebinar>();
  readonly hooks: WebhookSender = new WebhookSender(this);
  readonly pageTokens = new Map<string, { key: string; offset: number; expiresAt: number }>();
  private readonly initialKnobs: Knobs;
  private rng: Rng;
  private clockOffsetMs = 0;
  private nextWebinarId = 81_000_000_000;
  private readonly windows = new Map<string, { second: number; count: number }>();
  private readonly daily = new Map<string, number>();
  /** Requests received per endpoint, and how many of them were answered with an injected fault. */
  requests = { total: 0, byEndpoint: {} as Record<string, number>, faulted: 0 };
  /** Emails Zoom would have sent its registrants (confirmation, reminder), in order; cleared by reset. */
  sentEmails: { webinarId: number; to: string; kind: "confirmation" | "reminder" }[] = [];

  /**
   * Records, once each, the reminders due by the clock: a day before the start (the time is
   * this simulator's assumption; Zoom's reminder settings are not in the SDK's webinar body),
   * to approved, not cancelled registrants, while the webinar's notification switch is on.
   */
  sendDueReminders(): void {
    const now = this.now();
    const sent = new Set(
      this.sentEmails.filter((e) => e.kind === "reminder").map((e) => `${e.webinarId}:${e.to}`),
    );
    for (const w of this.webinars.values()) {
      const start = Date.parse(w.startTime);
      if (w.deleted || !w.reminderEmails || now >= start || now < start - 86_400_000) continue;
      for (const r of w.registrants) {
        if (r.cancelled || r.status !== "approved" || sent.has(`${w.id}:${r.email}`)) continue;
        this.sentEmails.push({ webinarId: w.id, to: r.email, kind: "reminder" });
      }
    }
  }

  constructor(options: ZoomSimulatorOptions) {
    this.accounts = options.accounts.map((a) => ({ ...a }));
    this.initialKnobs = { ...DEFAULT_KNOBS, ...options.knobs };
    this.knobs = structuredClone(this.initialKnobs);
    this.webhook = options.webhook ?? null;
    this.rng = mulberry32(options.seed ?? 5);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  reset(): void {
    this.webinars.clear();
    this.tokens.clear();
    this.pageTokens.clear();
    this.windows.clear();
    this.daily.clear();
    this.knobs = structuredClone(this.initialKnobs);
    this.clockOffsetMs = 0;
    this.requests = { total: 0, byEndpoint: {}, faulted: 0 };
    this.sentEmails = [];
  }

  /** Merges knobs; `rateLimits` is merged per label. */
  setKnobs(patch: KnobsPatch): Knobs {
    this.knobs = {
      ...this.knobs,
      ...patch,
      rateLimits: { ...this.knobs.rateLimits, ...(patch.rateLimits ?? {}) },
    };
    return this.knobs;
  }

  countRequest(endpoint: string): void {
    this.requests.total++;
    this.requests.byEndpoint[endpoint] = (this.requests.byEndpoint[endpoint] ?? 0) + 1;
  }

  latency(): number {
    return this.knobs.latencyMs + (this.knobs.jitterMs > 0 ? this.rng() * this.knobs.jitterMs : 0);
  }

  /** A fault for this write, chosen before the handler runs (pre) or after it applied (post). */
  pickFault(isWrite: boolean, afterCommit: boolean): FaultKind | null {
    if (!isWrite) return null;
    const rate = afterCommit ? this.knobs.faultAfterCommitRate : this.knobs.faultRate;
    if (rate <= 0 || this.rng() >= rate) return null;
    const kinds = this.knobs.faultKinds;
    this.requests.faulted++;
    return kinds[Math.floor(this.rng() * kinds.length)] ?? "500";
  }

  // --- tokens ----------------------------------------------------------------------------------

  issueToken(accountId: string): { token: string; expiresIn: number } {
    if (this.knobs.invalidatePreviousTokens) {
      for (const t of this.tokens.values()) if (t.accountId === accountId) t.revoked = true;
    }
    const token = `zsim.${randomBytes(24).toString("base64url")}`;
    const expiresIn = this.knobs.tokenLifetimeSeconds;
    this.tokens.set(token, { accountId, expiresAt: this.now() + expiresIn * 1000, revoked: false });
    return { token, expiresIn };
  }

  /** The account of a bearer token, or why it is refused (Zoom answers both with code 124). */
  tokenAccount(token: string): { accountId: string } | { error: "expired" | "invalid" } {
    const t = this.tokens.get(token);
    if (!t || t.revoked) return { error: "invalid" };
    if (t.expiresAt <= this.now()) return { error: "expired" };
    return { accountId: t.accountId };
  }

  expireAllTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  // --- limits ----------------------------------------------------------------------------------

  /** Per-second fixed window per account and label; false when the request is over the limit. */
  takeRate(accountId: string, category: RateCategory): boolean {
    const limit = this.knobs.rateLimits[category];
    if (limit === null || limit === undefined) return true;
    const second = Math.floor(this.now() / 1000);
    const key = `${accountId}:${category}`;
    const w = this.windows.get(key);
    if (!w || w.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return true;
    }
    if (w.count >= limit) return false;
    w.count++;
    return true;
  }

  /** Counts one request against a per-registrant daily cap; false when the cap is spent. */
  takeDaily(kind: "add" | "status", webinarId: number, email: string): boolean {
    const cap = kind === "add" ? this.knobs.registrantDailyCap : this.knobs.registrantStatusDailyCap;
    const day = new Date(this.now()).toISOString().slice(0, 10);
    const key = `${kind}:${day}:${webinarId}:${email.toLowerCase()}`;
    const used = this.daily.get(key) ?? 0;
    if (used >= cap) return false;
    this.daily.set(key, used + 1);
    return true;
  }

  /** Seconds until 00:00 UTC on the simulator clock (Retry-After of daily limits). */
  secondsToUtcMidnight(): number {
    const d = new Date(this.now());
    const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    return Math.ceil((midnight - d.getTime()) / 1000);
  }

  // --- data ------------------------------------------------------------------------------------

  newWebinarId(): number {
    this.nextWebinarId += 1 + Math.floor(this.rng() * 997);
    return this.nextWebinarId;
  }

  webinar(accountId: string, id: string): SimWebinar | null {
    if (!/^\d+$/.test(id)) return null;
    const w = this.webinars.get(Number(id));
    return w && w.accountId === accountId && !w.deleted ? w : null;
  }

  /** One page of `items` and the token of the next one (Zoom's `next_page_token`). */
  page<T>(
    key: string,
    items: T[],
    pageSize: number,
    token: string | undefined,
  ): { items: T[]; next: string } | null {
    let offset = 0;
    if (token) {
      const t = this.pageTokens.get(token);
      if (!t || t.key !== key || t.expiresAt <= this.now()) return null;
      offset = t.offset;
    }
    const slice = items.slice(offset, offset + pageSize);
    let next = "";
    if (offset + pageSize < items.length) {
      next = randomBytes(12).toString("base64url");
      this.pageTokens.set(next, {
        key,
        offset: offset + pageSize,
        expiresAt: this.now() + PAGE_TOKEN_TTL_MS,
      });
    }
    return { items: slice, next };
  }

  random(): number {
    return this.rng();
  }
}
