/**
 * HTTP side of the open-contract adapter: the service's base URL (refused unless http(s)),
 * OAuth2 client-credentials tokens cached per account, and one `call` that validates every
 * answer with zod and turns every failure into a `ProviderError`. Messages never carry a
 * credential, a token, an e-mail address or a URL.
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import { OUTBOUND_BLOCKED } from "../../lib/outbound-guard.ts";
import { type ProviderAccount, ProviderError, type ProviderErrorKind } from "../contract.ts";
import {
  fetchWithDeadline,
  noAnswerError,
  parseAnswer,
  parseRetryAfter,
  type RawResponse,
  redact,
} from "../http.ts";
import { isContractBaseUrl } from "./form.ts";
import { contractError, contractOAuthError, contractToken } from "./schemas.ts";

export const CONTRACT_CREDENTIAL_FIELDS = ["clientId", "clientSecret", "webhookSecret"] as const;

/** A token is renewed this long before the service says it expires, so no call carries a dying one. */
const TOKEN_EARLY_RENEWAL_MS = 60_000;
const TOKEN_CACHE_MAX = 1000;

export interface ContractClientOptions {
  timeoutMs: number;
  fetch: typeof fetch;
}

export interface ContractRequest<T> {
  /** Short label for messages, e.g. "create webinar". Must not contain personal data. */
  op: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below the base URL, already URL-encoded, e.g. "/webinars/w1/registrations". */
  path: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
  /** Schema of a 2xx body; null for 204 answers. */
  schema: z.ZodType<T> | null;
}

export function credential(account: ProviderAccount, name: string): string {
  const value = account.credentials[name]?.toString("utf8").trim();
  if (!value) throw new ProviderError("auth", `Contract credential "${name}" is missing`);
  return value;
}

/** The configuration's base URL without a trailing slash; anything but http(s) is refused. */
export function baseUrlOf(account: ProviderAccount): string {
  const raw = account.settings.baseUrl ?? "";
  if (!isContractBaseUrl(raw)) {
    throw new ProviderError("invalid", 'Contract setting "baseUrl" must be an http(s) URL');
  }
  return raw.replace(/\/+$/, "");
}

// --- error mapping -------------------------------------------------------------------------

/** The contract's status semantics (docs/provider-contract.md, "Errors"). */
export function contractErrorKind(status: number, code: string | undefined): ProviderErrorKind {
  // An API 401 is answered only after one token renewal was tried, so the client is unusable.
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404 || status === 410) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return code === "quota_exceeded" ? "quota" : "rate_limited";
  if (status === 408 || status >= 500) return "transient";
  if (status >= 400) return "invalid";
  // Redirects are never followed (a 3xx would send the credentials to a host nobody checked):
  // the base URL is wrong, and retrying will not change that.
  if (status >= 300) return "invalid";
  return "transient";
}

function errorBody(text: string): { code: string | undefined; message: string | undefined } {
  try {
    const json = JSON.parse(text);
    const api = contractError.safeParse(json);
    if (api.success) return { code: api.data.error.code, message: api.data.error.message };
    const oauth = contractOAuthError.safeParse(json);
    if (oauth.success) return { code: oauth.data.error, message: oauth.data.error_description };
  } catch {
    // Not JSON (a proxy's HTML page): the status alone decides.
  }
  return { code: undefined, message: undefined };
}

function httpError(
  op: string,
  res: RawResponse,
  account: ProviderAccount,
  tokenCall: boolean,
): ProviderError {
  const { code, message } = errorBody(res.text);
  let kind = contractErrorKind(res.status, code);
  // RFC 6749 §5.2: a rejected client is 400/401 `invalid_client`; `unauthorized_client` may not
  // use this grant; the contract adds `expired_client` for a secret past its expiry date.
  if (tokenCall && res.status < 500 && res.status !== 429) {
    kind =
      code === "unauthorized_client" ? "forbidden" : code === "expired_client" ? "token_expired" : "auth";
  }
  const said = [code, message].filter(Boolean).join(": ");
  const retryAfterMs =
    kind === "rate_limited" || kind === "quota" ? parseRetryAfter(res.headers.get("retry-after")) : undefined;
  return new ProviderError(
    kind,
    `Contract ${op} failed with HTTP ${res.status}${said ? ` (${redact(said, account)})` : ""}`,
    { status: res.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
  );
}

// --- client --------------------------------------------------------------------------------

interface CachedToken {
  value: string;
  expiresAt: number;
}

export class ContractClient {
  /** Keyed by a hash of base URL and credentials: a rotated secret gets a fresh token, and no secret is a key. */
  private readonly tokens = new Map<string, CachedToken>();
  /** Single flight: concurrent calls of one account share one token request. */
  private readonly refreshing = new Map<string, Promise<CachedToken>>();

  constructor(private readonly options: ContractClientOptions) {}

  private accountKey(account: ProviderAccount): string {
    const h = createHash("sha256");
    for (const part of [
      baseUrlOf(account),
      credential(account, "clientId"),
      credential(account, "clientSecret"),
    ])
      h.update(part).update("\0");
    return h.digest("hex");
  }

  private async send(
    op: string,
    init: {
      method: string;
      url: string;
      headers: Record<string, string>;
      body?: string;
    },
  ): Promise<RawResponse> {
    const outcome = await fetchWithDeadline(init.url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      timeoutMs: this.options.timeoutMs,
      fetch: this.options.fetch,
    });
    if (outcome.ok) return outcome.response;
    const f = outcome.failure;
    // Retrying cannot help: the base URL points inside (the guard's message says how to allow it).
    if (f.kind === "network" && f.code === OUTBOUND_BLOCKED)
      throw new ProviderError(
        "invalid",
        `Contract ${op} refused: the base URL resolves to a private, loopback, link-local or reserved address (an operator can allow it with AUDITORIUM_ALLOW_PRIVATE_HOSTS)`,
      );
    throw noAnswerError("Contract", op, f, this.options.timeoutMs);
  }

  private async fetchToken(account: ProviderAccount): Promise<CachedToken> {
    const basic = Buffer.from(
      `${encodeURIComponent(credential(account, "clientId"))}:${encodeURIComponent(credential(account, "clientSecret"))}`,
    ).toString("base64");
    const res = await this.send("token request", {
      method: "POST",
      url: `${baseUrlOf(account)}/oauth/token`,
      headers: {
        accept: "application/json",
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    if (res.status !== 200) throw httpError("token request", res, account, true);
    const parsed = parseJson(contractToken, res, "token request");
    return { value: parsed.access_token, expiresAt: Date.now() + parsed.expires_in * 1000 };
  }

  /** A usable token for the account: cached, or fetched once however many calls are waiting. */
  async token(account: ProviderAccount, stale?: string): Promise<string> {
    const key = this.accountKey(account);
    const cached = this.tokens.get(key);
    if (cached && cached.value !== stale && cached.expiresAt - TOKEN_EARLY_RENEWAL_MS > Date.now())
      return cached.value;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.fetchToken(account).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    const fresh = await pending;
    this.tokens.delete(key);
    this.tokens.set(key, fresh);
    if (this.tokens.size > TOKEN_CACHE_MAX) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    return fresh.value;
  }

  /** Performs one call and returns the validated body; throws `ProviderError` otherwise. */
  async call<T>(account: ProviderAccount, req: ContractRequest<T>): Promise<T> {
    const url = new URL(`${baseUrlOf(account)}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const attempt = async (token: string) =>
      this.send(req.op, {
        method: req.method,
        url: url.toString(),
        headers: {
          accept: "application/json",
          authorization: `Bearer ${token}`,
          ...(req.json !== undefined ? { "content-type": "application/json" } : {}),
          ...req.headers,
        },
        ...(req.json !== undefined ? { body: JSON.stringify(req.json) } : {}),
      });
    const first = await this.token(account);
    let res = await attempt(first);
    // A token the service no longer accepts (revoked, restarted) is renewed once; a second 401 is real.
    if (res.status === 401) res = await attempt(await this.token(account, first));
    if (res.status < 200 || res.status > 299) throw httpError(req.op, res, account, false);
    if (req.schema === null) return undefined as T;
    return parseJson(req.schema, res, req.op);
  }
}

function parseJson<T>(schema: z.ZodType<T>, res: RawResponse, op: string): T {
  return parseAnswer("Contract", op, res, schema);
}
