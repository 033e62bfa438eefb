// In-memory state of the Graph simulator: tenants and apps, issued tokens, virtual events with
// their sessions, registrations and attendance reports, subscriptions, counters and knobs.
import { randomBytes, randomUUID } from "node:crypto";
import { GraphError } from "./http.ts";
import { deliver } from "./notify.ts";
import {
  type AppConfig,
  DEFAULT_KNOBS,
  type Delivery,
  type Knobs,
  type SimEvent,
  type SimSubscription,
  type TeamsSimOptions,
  type TenantConfig,
} from "./types.ts";

export interface TokenGrant {
  tenantId: string;
  clientId: string;
  expiresAt: number;
  /** The signed-in user of a delegated token; absent for app-only (client credentials). */
  userId?: string;
}

/** An authorization code waiting to be redeemed (single use). */
export interface AuthCode {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: "S256" | "plain";
  scope: string;
  userId: string;
  expiresAt: number;
  redeemed: boolean;
}

/** A refresh token: valid until used once (rotation), then refused. */
export interface RefreshGrant {
  tenantId: string;
  clientId: string;
  scope: string;
  userId: string;
  used: boolean;
}

/** mulberry32: small seeded PRNG so a fault pattern can be reproduced. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TeamsSimState {
  knobs: Knobs;
  readonly tenants = new Map<string, TenantConfig>();
  readonly tokens = new Map<string, TokenGrant>();
  readonly authCodes = new Map<string, AuthCode>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  /** Every token-endpoint answer per grant type and outcome, e.g. "refresh_token:200". */
  readonly tokenRequests = new Map<string, number>();
  readonly events = new Map<string, SimEvent>();
  readonly subscriptions = new Map<string, SimSubscription>();
  readonly deliveries: Delivery[] = [];
  /** Every HTTP request received, control API excluded. */
  requestCount = 0;
  /** Tokens issued per clientId (shows whether a client caches them). */
  readonly tokensIssued = new Map<string, number>();
  readonly random: () => number;
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly pending = new Set<Promise<void>>();

  constructor(options: TeamsSimOptions) {
    this.knobs = { ...DEFAULT_KNOBS, ...options.knobs };
    for (const t of options.tenants) this.tenants.set(t.tenantId.toLowerCase(), t);
    this.random = rng(options.seed ?? 7);
  }

  setKnobs(patch: Partial<Knobs>): Knobs {
    this.knobs = { ...this.knobs, ...patch };
    return this.knobs;
  }

  app(tenantId: string, clientId: string): AppConfig | undefined {
    return this.tenants.get(tenantId.toLowerCase())?.apps.find((a) => a.clientId === clientId);
  }

  issueToken(tenantId: string, clientId: string, userId?: string): { token: string; expiresIn: number } {
    const token = `sim.${randomBytes(24).toString("base64url")}`;
    const expiresIn = this.knobs.tokenLifetimeSeconds;
    this.tokens.set(token, {
      tenantId: tenantId.toLowerCase(),
      clientId,
      expiresAt: Date.now() + expiresIn * 1000,
      ...(userId !== undefined && { userId }),
    });
    this.tokensIssued.set(clientId, (this.tokensIssued.get(clientId) ?? 0) + 1);
    return { token, expiresIn };
  }

  /** A new refresh token for a delegated grant (the previous one, if any, is already marked used). */
  issueRefreshToken(grant: Omit<RefreshGrant, "used">): string {
    const token = `simrt.${randomBytes(32).toString("base64url")}`;
    this.refreshTokens.set(token, { ...grant, used: false });
    return token;
  }

  countTokenRequest(key: string): void {
    this.tokenRequests.set(key, (this.tokenRequests.get(key) ?? 0) + 1);
  }

  /** Fixed one-second window per app; over the limit → 429 with the seconds left in the window. */
  checkRate(clientId: string): void {
    const limit = this.knobs.requestsPerSecond;
    if (limit === null) return;
    const now = Date.now();
    let w = this.windows.get(clientId);
    if (!w || now - w.start >= 1000) {
      w = { start: now, count: 0 };
      this.windows.set(clientId, w);
    }
    w.count++;
    if (w.count > limit) {
      const retryAfter = Math.max(1, Math.ceil((w.start + 1000 - now) / 1000));
      throw new GraphError(429, "TooManyRequests", "Too many requests.", {
        "retry-after": String(retryAfter),
      });
    }
  }

  newEventId(tenantId: string): string {
    return `${randomUUID()}@${tenantId}`;
  }

  /** The event if it exists in the caller's tenant; 404 otherwise (Graph does not reveal others'). */
  event(tenantId: string, collection: SimEvent["collection"], id: string): SimEvent {
    const ev = this.events.get(id);
    if (!ev || ev.tenantId !== tenantId || ev.collection !== collection) {
      throw new GraphError(404, "NotFound", "The requested virtual event was not found.");
    }
    return ev;
  }

  /**
   * Sends a change notification to every live subscription of the tenant on `resource` whose
   * changeType includes this change. Expired subscriptions deliver nothing.
   */
  notify(
    tenantId: string,
    resource: string,
    changeType: "created" | "updated",
    resourceData: { type: string; id: string },
  ): void {
    const now = Date.now();
    for (const sub of this.subscriptions.values()) {
      if (sub.tenantId !== tenantId || sub.expirationDateTime.getTime() <= now) continue;
      if (sub.resource.toLowerCase() !== resource.toLowerCase()) continue;
      if (
        !sub.changeType
          .split(",")
          .map((c) => c.trim())
          .includes(changeType)
      )
        continue;
      const body = {
        value: [
          {
            subscriptionId: sub.id,
            subscriptionExpirationDateTime: sub.expirationDateTime.toISOString(),
            changeType,
            clientState: sub.clientState,
            tenantId,
            resource,
            resourceData: {
              "@odata.type": resourceData.type,
              "@odata.id": resourceData.id,
              id: resourceData.id,
            },
          },
        ],
      };
      const p = deliver(sub.notificationUrl, body).then((status) => {
        this.deliveries.push({
          subscriptionId: sub.id,
          resource,
          changeType,
          status,
          at: new Date().toISOString(),
        });
      });
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  /** Resolves when every notification sent so far has been delivered or has failed. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
