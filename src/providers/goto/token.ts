/**
 * GoTo OAuth: the stored refresh token is exchanged for a 60-minute access token at the token
 * endpoint (Basic clientId:clientSecret, form body, grant_type=refresh_token). Access tokens are
 * cached per account until shortly before expiry; the cache key is a hash of the credentials, so
 * no secret is a map key, and concurrent callers share one exchange (single flight).
 *
 * "Credential unusable → needs re-auth" (the token endpoint refuses: `auth`) is kept apart from
 * "access token expired → refresh once" (the API answers 403 InvalidToken: client.ts drops the
 * cached token and retries once).
 *
 * GoTo may answer a refresh with a NEW refresh token that replaces the old one ("if a new refresh
 * token has been issued because the old one has expired"); the old one stops working. The
 * exchange therefore runs through `account.rotating` when the caller offers it: the stored
 * token is read and row-locked, used, and its replacement stored sealed in that transaction
 * (src/modules/webinars/credential-store.ts), so another process or a restart continues with
 * it. Without `rotating` (the adapter driven directly) the replacement is kept in memory.
 */
import { createHash } from "node:crypto";
import { type ProviderAccount, ProviderError, type RotatedUse } from "../contract.ts";
import { fetchWithDeadline, parseRetryAfter, redact } from "../http.ts";
import { parseJsonKeepingBigInts } from "./json.ts";
import { gotoTokenAnswer, oauthErrorBody } from "./schemas.ts";

export const GOTO_CREDENTIAL_FIELDS = ["clientId", "clientSecret", "refreshToken"] as const;

/** Refresh this long before GoTo's expiry, so a token never dies in flight. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export interface GotoAccessToken {
  accessToken: string;
  expiresAt: number;
  /** `organizer_key` of the token answer, when GoTo sent one. */
  organizerKey: string | null;
}

/** The account's values for one call, read out of the credential Buffers (zeroed after the call). */
export interface GotoAccountRef {
  /** sha256 of clientId, clientSecret and refreshToken: cache and pacing key, never a secret. */
  key: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** The organizerKey setting, when set. */
  organizerKey: string | null;
}

function credential(account: ProviderAccount, name: string): string {
  const value = account.credentials[name]?.toString("utf8").trim() ?? "";
  if (value === "") throw new ProviderError("auth", `GoTo credential "${name}" is missing`);
  return value;
}

export function accountRef(account: ProviderAccount): GotoAccountRef {
  const clientId = credential(account, "clientId");
  const clientSecret = credential(account, "clientSecret");
  const refreshToken = credential(account, "refreshToken");
  const organizerKey = account.settings.organizerKey?.trim() || null;
  if (organizerKey !== null && !/^\d{1,19}$/.test(organizerKey))
    throw new ProviderError("invalid", 'GoTo setting "organizerKey" must be numeric');
  return {
    key: keyOf(clientId, clientSecret, refreshToken),
    clientId,
    clientSecret,
    refreshToken,
    organizerKey,
  };
}

const keyOf = (clientId: string, clientSecret: string, refreshToken: string) =>
  createHash("sha256").update(`${clientId}\0${clientSecret}\0${refreshToken}`).digest("hex");

export interface TokenManagerOptions {
  tokenUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

export class GotoTokenManager {
  private readonly cache = new Map<string, GotoAccessToken>();
  private readonly inflight = new Map<string, Promise<GotoAccessToken>>();
  /** Refresh tokens GoTo replaced during this process's life, by account key. */
  private readonly rotated = new Map<string, string>();
  /** Exchanges performed (for tests and metrics). */
  exchanges = 0;

  constructor(private readonly options: TokenManagerOptions) {}

  /** A usable access token: cached, or one exchange shared by every concurrent caller. */
  async get(ref: GotoAccountRef, account: ProviderAccount): Promise<GotoAccessToken> {
    const hit = this.cache.get(ref.key);
    if (hit && hit.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return hit;
    const running = this.inflight.get(ref.key);
    if (running) return running;
    const p = this.exchange(ref, account).finally(() => this.inflight.delete(ref.key));
    this.inflight.set(ref.key, p);
    return p;
  }

  /** Forgets a token the API refused, unless a newer one already replaced it. */
  invalidate(ref: GotoAccountRef, token: GotoAccessToken): void {
    if (this.cache.get(ref.key) === token) this.cache.delete(ref.key);
  }

  private async exchange(ref: GotoAccountRef, account: ProviderAccount): Promise<GotoAccessToken> {
    this.exchanges++;
    let replacement: string | undefined;
    let token: GotoAccessToken;
    if (account.rotating) {
      token = await account.rotating("refreshToken", async (stored) => {
        const used = await this.request(ref, stored, account);
        replacement = used.replacement;
        return used;
      });
    } else {
      const used = await this.request(ref, this.rotated.get(ref.key) ?? ref.refreshToken, account);
      replacement = used.replacement;
      if (replacement) this.rotated.set(ref.key, replacement);
      token = used.result;
    }
    this.cache.set(ref.key, token);
    // The next call reads the replacement from the store, so its key is the replacement's:
    // the token just issued serves it too (no exchange per call, and no needless rotation).
    if (replacement) this.cache.set(keyOf(ref.clientId, ref.clientSecret, replacement), token);
    return token;
  }

  /** One token request with this refresh token; the replacement when GoTo issued a new one. */
  private async request(
    ref: GotoAccountRef,
    refreshToken: string,
    account: ProviderAccount,
  ): Promise<RotatedUse<GotoAccessToken>> {
    const basic = Buffer.from(`${ref.clientId}:${ref.clientSecret}`, "utf8").toString("base64");
    const outcome = await fetchWithDeadline(this.options.tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
      timeoutMs: this.options.timeoutMs,
      fetch: this.options.fetch,
    });
    if (!outcome.ok) {
      const what = outcome.failure.kind === "timeout" ? "timed out" : "failed before an answer";
      throw new ProviderError("transient", `GoTo token exchange ${what}`);
    }
    const res = outcome.response;
    let json: unknown;
    try {
      json = parseJsonKeepingBigInts(res.text);
    } catch {
      json = undefined;
    }
    if (res.status < 200 || res.status > 299) throw tokenError(res.status, json, res.headers, account);
    const parsed = gotoTokenAnswer.safeParse(json);
    if (!parsed.success) {
      throw new ProviderError(
        "transient",
        `GoTo token exchange answered HTTP ${res.status} with an unexpected shape`,
      );
    }
    const answer = parsed.data;
    return {
      result: {
        accessToken: answer.access_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
        organizerKey: answer.organizer_key ?? null,
      },
      replacement:
        answer.refresh_token && answer.refresh_token !== refreshToken ? answer.refresh_token : undefined,
    };
  }
}

/** Token endpoint refusals: a bad client or refresh token needs re-authorization (`auth`). */
function tokenError(
  status: number,
  json: unknown,
  headers: Headers,
  account: ProviderAccount,
): ProviderError {
  const body = oauthErrorBody.safeParse(json);
  const said = body.success
    ? `: ${redact(`${body.data.error}${body.data.error_description ? ` (${body.data.error_description})` : ""}`, account)}`
    : "";
  const message = `GoTo token exchange failed with HTTP ${status}${said}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get("retry-after"));
    return new ProviderError("rate_limited", message, {
      status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (status >= 500 || status === 408) return new ProviderError("transient", message, { status });
  const expired = body.success && /expired/i.test(body.data.error_description ?? "");
  return new ProviderError(expired ? "token_expired" : "auth", message, { status });
}
