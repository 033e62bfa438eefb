/**
 * Client-credentials tokens for Microsoft Graph, one per (tenant, app, secret). Tokens are cached
 * until shortly before they expire, keyed by a hash so no secret is held as a map key; concurrent
 * callers for the same account share one request (single flight). "The app or secret is unusable"
 * (`auth` / `token_expired`, needs an admin) is kept apart from "the access token expired" (the
 * client just asks for a new one: `invalidate` then `get`).
 */
import { createHash } from "node:crypto";
import { ProviderError } from "../contract.ts";
import { fetchWithDeadline, parseRetryAfter } from "../http.ts";
import { tokenErrorBody, tokenResponse } from "./schemas.ts";

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
    const url = `${this.options.loginUrl.replace(/\/+$/, "")}/${encodeURIComponent(ref.tenantId)}/oauth2/v2.0/token`;
    const outcome = await fetchWithDeadline(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        client_id: ref.clientId,
        client_secret: ref.clientSecret,
        scope: GRAPH_SCOPE,
        grant_type: "client_credentials",
      }).toString(),
      timeoutMs: this.options.timeoutMs,
      fetch: this.options.fetch,
    });
    if (!outcome.ok) {
      const what = outcome.failure.kind === "timeout" ? "timed out" : "failed before an answer";
      throw new ProviderError("transient", `Microsoft sign-in (token request) ${what}`);
    }
    const res = outcome.response;
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    if (res.status === 200) {
      const ok = tokenResponse.safeParse(json);
      if (!ok.success)
        throw new ProviderError("transient", "Microsoft sign-in answered an unexpected token shape");
      return { token: ok.data.access_token, expiresInS: ok.data.expires_in };
    }
    if (res.status === 429) {
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      throw new ProviderError("rate_limited", "Microsoft sign-in is throttling token requests (HTTP 429)", {
        status: 429,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (res.status >= 500) {
      throw new ProviderError("transient", `Microsoft sign-in failed with HTTP ${res.status}`, {
        status: res.status,
      });
    }
    // 400/401: invalid_client (wrong secret, unknown app), unauthorized_client, invalid_request
    // (unknown tenant). The description names no secret, but we report only the error and codes.
    const err = tokenErrorBody.safeParse(json);
    const code = err.success ? err.data.error : "unknown_error";
    const aadsts = err.success ? (err.data.error_codes ?? []) : [];
    const expired = aadsts.some((c) => EXPIRED_SECRET_CODES.has(c));
    const codes = aadsts.length > 0 ? ` (AADSTS${aadsts.join(", AADSTS")})` : "";
    throw new ProviderError(
      expired ? "token_expired" : "auth",
      `Microsoft sign-in refused the app credentials: ${code}${codes}`,
      { status: res.status },
    );
  }
}
