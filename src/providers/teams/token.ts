/**
 * Client-credentials tokens for Microsoft Graph, one per (tenant, app, secret). Tokens are cached
 * until shortly before they expire, keyed by a hash so no secret is held as a map key; concurrent
 * callers for the same account share one request (single flight). "The app or secret is unusable"
 * (`auth` / `token_expired`, needs an admin) is kept apart from "the access token expired" (the
 * client just asks for a new one: `invalidate` then `get`).
 */
import { createHash } from "node:crypto";
import { ProviderError } from "../contract.ts";
import { describeRefusal, requestToken } from "./identity.ts";
import { tokenResponse } from "./schemas.ts";

/** Re-fetch this long before the token's stated expiry (clock skew, calls in flight). */
const REFRESH_MARGIN_MS = 5 * 60_000;
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/**
 * AADSTS codes that mean "the credential itself has expired" rather than "wrong credential":
 * 7000222 = the client secret keys have expired (an admin must create a new secret).
 */
const EXPIRED_SECRET_CODES = new Set([7000222]);

export interface TeamsAccountRef {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

interface Cached {
  token: string;
  refreshAt: number;
}

export class GraphTokenManager {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly options: { loginUrl: string; timeoutMs: number; fetch: typeof fetch }) {}

  private key(ref: TeamsAccountRef): string {
    return createHash("sha256")
      .update(`${ref.tenantId}\0${ref.clientId}\0${ref.clientSecret}`)
      .digest("base64url");
  }

  /** Forgets the cached token (Graph answered 401 to it). */
  invalidate(ref: TeamsAccountRef, token: string): void {
    const key = this.key(ref);
    if (this.cache.get(key)?.token === token) this.cache.delete(key);
  }

  async get(ref: TeamsAccountRef): Promise<string> {
    const key = this.key(ref);
    const hit = this.cache.get(key);
    if (hit && hit.refreshAt > Date.now()) return hit.token;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.fetchToken(ref)
      .then(({ token, expiresInS }) => {
        const lifetime = expiresInS * 1000;
        // A very short-lived token is still used once, never cached past half its life.
        const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 2);
        // Stale entries (a rotated secret, a removed configuration) go when a new one comes.
        for (const [k, v] of this.cache) if (v.refreshAt <= Date.now()) this.cache.delete(k);
        this.cache.set(key, { token, refreshAt: Date.now() + lifetime - margin });
        return token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async fetchToken(ref: TeamsAccountRef): Promise<{ token: string; expiresInS: number }> {
    const body = await requestToken(
      this.options,
      ref.tenantId,
      {
        client_id: ref.clientId,
        client_secret: ref.clientSecret,
        scope: GRAPH_SCOPE,
        grant_type: "client_credentials",
      },
      tokenResponse,
      // 400/401: invalid_client (wrong secret, unknown app), unauthorized_client, invalid_request
      // (unknown tenant). The description names no secret, but we report only the error and codes.
      (refusal) =>
        new ProviderError(
          refusal.codes.some((c) => EXPIRED_SECRET_CODES.has(c)) ? "token_expired" : "auth",
          `Microsoft sign-in refused the app credentials: ${describeRefusal(refusal)}`,
          { status: refusal.status },
        ),
    );
    return { token: body.access_token, expiresInS: body.expires_in };
  }
}
