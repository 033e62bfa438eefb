/**
 * Server-to-Server OAuth access tokens, one per Zoom account and app, shared by every caller in
 * this process. Invariants:
 * - concurrent callers share one token request (single flight): Zoom has been seen to invalidate
 *   a token when another is requested at the same time (docs/providers/zoom.md, failure mode 1);
 * - the cache key is a SHA-256 of account id, client id and client secret, never the secret, and
 *   the secret is read from the credential Buffers only to build one Basic header;
 * - a token that Zoom refused (401) is dropped only if it is still the cached one, so twenty
 *   callers that meet the same expired token cause one refresh, not twenty.
 * "Credential unusable" (the token request is refused) is `auth`; "token expired" is handled by
 * the client with one refresh and one retry.
 */
import { createHash } from "node:crypto";
import { type ProviderAccount, ProviderError } from "../contract.ts";
import { fetchWithDeadline, parseRetryAfter } from "../http.ts";
import { zoomAccessToken, zoomOAuthErrorBody } from "./schemas.ts";

export const ZOOM_CREDENTIAL_FIELDS = [
  "accountId",
  "clientId",
  "clientSecret",
  "webhookSecretToken",
] as const;

/**
 * Refresh this long before Zoom's expiry, so a token does not lapse between check and use; at
 * most half the lifetime, so a short-lived token is still reused.
 */
const EXPIRY_MARGIN_MS = 60_000;
const MAX_ACCOUNTS = 1000;

interface CachedToken {
  accessToken: string;
  /** When we stop using it: Zoom's expiry less the margin. */
  expiresAt: number;
}

export function credentialText(account: ProviderAccount, name: string): string {
  const value = account.credentials[name];
  const text = value?.toString("utf8").trim() ?? "";
  if (text === "") throw new ProviderError("auth", `Zoom credential "${name}" is missing`);
  return text;
}

/** The cache key of an account: a hash, so no secret is kept as a map key. */
export function accountKey(account: ProviderAccount): string {
  const h = createHash("sha256");
  for (const f of ["accountId", "clientId", "clientSecret"])
    h.update(credentialText(account, f)).update("\0");
  return h.digest("hex");
}

export interface TokenManagerOptions {
  oauthUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
  now?: () => number;
}

export class ZoomTokenManager {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;

  constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A usable access token for the account: cached, joined to a request in flight, or new. */
  async get(account: ProviderAccount): Promise<string> {
    const key = accountKey(account);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.accessToken;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.request(account).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const token = await pending;
    this.remember(key, token);
    return token.accessToken;
  }

  /** Forgets `accessToken` if it is still the account's token (Zoom answered 401 to it). */
  invalidate(account: ProviderAccount, accessToken: string): void {
    const key = accountKey(account);
    if (this.tokens.get(key)?.accessToken === accessToken) this.tokens.delete(key);
  }

  private remember(key: string, token: CachedToken): void {
    this.tokens.delete(key);
    this.tokens.set(key, token);
    if (this.tokens.size > MAX_ACCOUNTS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
  }

  private async request(account: ProviderAccount): Promise<CachedToken> {
    // Everything secret is read synchronously here; the Buffers may be zeroed once the caller's
    // provider call ends, and the promise may outlive it.
    const accountId = credentialText(account, "accountId");
    const basic = Buffer.from(
      `${credentialText(account, "clientId")}:${credentialText(account, "clientSecret")}`,
      "utf8",
    ).toString("base64");
    const url = new URL(`${this.options.oauthUrl.replace(/\/+$/, "")}/oauth/token`);
    url.searchParams.set("grant_type", "account_credentials");
    url.searchParams.set("account_id", accountId);
    const started = this.now();
    const outcome = await fetchWithDeadline(url.toString(), {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, accept: "application/json" },
      timeoutMs: this.options.timeoutMs,
      fetch: this.options.fetch,
    });
    if (!outcome.ok) {
      const what = outcome.failure.kind === "timeout" ? "timed out" : "failed before an answer";
      throw new ProviderError("transient", `Zoom token request ${what}`);
    }
    const res = outcome.response;
    if (res.status === 200) {
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        json = undefined;
      }
      const parsed = zoomAccessToken.safeParse(json);
      if (!parsed.success) throw new ProviderError("transient", "Zoom token answer has an unexpected shape");
      const lifetimeMs = parsed.data.expires_in * 1000;
      return {
        accessToken: parsed.data.access_token,
        expiresAt: started + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2),
      };
    }
    throw tokenError(res.status, res.text, res.headers.get("retry-after"));
  }
}

/**
 * The token endpoint refuses an unusable credential with 400/401 `{"reason","error"}`
 * (`invalid_client` for a wrong client id/secret, `invalid_request` for a wrong account id):
 * `auth`, so the configuration is flagged "not authenticated". Only `reason`/`error` are
 * quoted; they carry no secret.
 */
function tokenError(status: number, text: string, retryAfter: string | null): ProviderError {
  let said = "";
  try {
    const body = zoomOAuthErrorBody.safeParse(JSON.parse(text));
    if (body.success) said = [body.data.error, body.data.reason].filter(Boolean).join(": ").slice(0, 200);
  } catch {
    // Not JSON (a gateway page): the status says enough.
  }
  const suffix = said ? ` (${said})` : "";
  if (status === 400 || status === 401) {
    return new ProviderError("auth", `Zoom refused the app credentials${suffix}`, { status });
  }
  if (status === 403)
    return new ProviderError("forbidden", `Zoom token request forbidden${suffix}`, { status });
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return new ProviderError("rate_limited", "Zoom token request rate limited", {
      status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  return new ProviderError("transient", `Zoom token request failed with HTTP ${status}`, { status });
}
