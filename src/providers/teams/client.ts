/**
 * HTTP side of the Teams adapter: account values, bearer tokens (token.ts), one Graph call with a
 * deadline, zod validation, and Graph's error envelope mapped to `ProviderError` kinds. Messages
 * never carry a URL (it holds tenant and webinar ids), an e-mail address or a credential.
 */
import type { z } from "zod";
import {
  type DelegatedTokenSource,
  type ProviderAccount,
  ProviderError,
  type ProviderErrorKind,
} from "../contract.ts";
// The e-mail and credential scrubber is shared with the ON24 adapter rather than copied.
import { fetchWithDeadline, noAnswerError, parseAnswer, parseRetryAfter, redact } from "../http.ts";
import { graphErrorBody } from "./schemas.ts";
import { GraphTokenManager, type TeamsAccountRef } from "./token.ts";

export const TEAMS_CREDENTIAL_FIELDS = ["clientId", "clientSecret"] as const;
export const GRAPH_DEFAULT_URL = "https://graph.microsoft.com/v1.0";
export const MS_LOGIN_DEFAULT_URL = "https://login.microsoftonline.com";

export interface TeamsAccount extends TeamsAccountRef {
  organizerUserId: string;
  /** The connected organizer's access tokens; absent: app-only (client credentials) for everything. */
  organizerToken?: DelegatedTokenSource | undefined;
}

export function teamsAccount(account: ProviderAccount): TeamsAccount {
  const cred = (name: string) => {
    const v = account.credentials[name]?.toString("utf8").trim();
    if (!v) throw new ProviderError("auth", `Teams credential "${name}" is missing`);
    return v;
  };
  const setting = (name: string) => {
    const v = account.settings[name]?.trim();
    if (!v) throw new ProviderError("invalid", `Teams setting "${name}" is missing`);
    return v;
  };
  return {
    tenantId: setting("tenantId"),
    organizerUserId: setting("organizerUserId"),
    clientId: cred("clientId"),
    clientSecret: cred("clientSecret"),
    organizerToken: account.delegatedToken,
  };
}

export interface GraphRequest<T> {
  /** Short label for messages ("publish webinar"); never personal data. */
  op: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path below the Graph base ("/solutions/virtualEvents/webinars"), or a nextLink from Graph. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Schema of a 2xx body; omitted for 204 answers (publish, cancel, register with app auth). */
  schema?: z.ZodType<T>;
  /**
   * "organizer": a call Graph allows with delegated permission only (create, publish, update,
   * cancel a webinar); it goes with the connected organizer's token when there is one, and
   * app-only otherwise (which real Graph refuses, the simulator accepts).
   */
  as?: "organizer";
}

/**
 * Graph status + error code → what the sync engine does. 403 is always `forbidden` for Graph
 * (missing permission or no application access policy for the organizer: an admin must act);
 * Graph has no quota-style 403. 401 reaches here only after one retry with a fresh token.
 */
export function graphErrorKind(status: number, code: string | undefined): ProviderErrorKind {
  if (status === 401) return code === "TokenExpired" ? "token_expired" : "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate_limited";
  if (status === 408) return "transient";
  if (status >= 400 && status < 500) return "invalid";
  return "transient";
}

/** Why a 403 happened, in words an admin can act on. */
const FORBIDDEN_HINT =
  "the app needs VirtualEvent application permissions and an application access policy for the organizer";

export class GraphClient {
  private readonly base: URL;
  readonly tokens: GraphTokenManager;

  constructor(
    private readonly options: { graphUrl: string; loginUrl: string; timeoutMs: number; fetch: typeof fetch },
  ) {
    this.base = new URL(options.graphUrl.replace(/\/+$/, ""));
    this.tokens = new GraphTokenManager(options);
  }

  /**
   * Builds the request URL. A nextLink is followed only if it points below our Graph base:
   * the bearer token must never be sent to another host.
   */
  private url(path: string, query: Record<string, string> | undefined): URL {
    let url: URL;
    if (/^https?:\/\//i.test(path)) {
      url = new URL(path);
      const basePath = this.base.pathname.replace(/\/+$/, "");
      if (url.origin !== this.base.origin || !url.pathname.startsWith(`${basePath}/`)) {
        throw new ProviderError("transient", "Microsoft Graph returned a next link outside its own API");
      }
    } else {
      url = new URL(this.base.href.replace(/\/+$/, "") + path);
    }
    // Encoded by hand: URLSearchParams writes spaces as "+", which OData does not promise to read
    // as a space inside `$filter` ("email eq '…'"); %20 is unambiguous.
    const extra = Object.entries(query ?? {}).map(
      ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
    );
    if (extra.length > 0) url.search = [url.search.replace(/^\?/, ""), ...extra].filter(Boolean).join("&");
    return url;
  }

  async call<T>(account: TeamsAccount, req: GraphRequest<T>): Promise<T> {
    const url = this.url(req.path, req.query).toString();
    const delegated = req.as === "organizer" ? account.organizerToken : undefined;
    let token = delegated ? await delegated() : await this.tokens.get(account);
    let res = await this.send(req, url, token);
    if (res.status === 401) {
      // The access token may have been revoked or expired early: one retry with a fresh one.
      if (delegated) {
        token = await delegated({ rejected: token });
      } else {
        this.tokens.invalidate(account, token);
        token = await this.tokens.get(account);
      }
      res = await this.send(req, url, token);
    }
    if (res.status < 200 || res.status > 299) throw this.httpError(req.op, res, account);
    if (!req.schema) return undefined as T;
    return parseAnswer("Microsoft Graph", req.op, res, req.schema);
  }

  private async send(req: GraphRequest<unknown>, url: string, token: string) {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.body);
    }
    const outcome = await fetchWithDeadline(url, {
      method: req.method,
      headers,
      body,
      timeoutMs: this.options.timeoutMs,
      fetch: this.options.fetch,
    });
    if (!outcome.ok) throw noAnswerError("Microsoft Graph", req.op, outcome.failure, this.options.timeoutMs);
    return outcome.response;
  }

  private httpError(
    op: string,
    res: { status: number; text: string; headers: Headers },
    account: TeamsAccount,
  ): ProviderError {
    let code: string | undefined;
    let message: string | undefined;
    try {
      const parsed = graphErrorBody.safeParse(JSON.parse(res.text));
      if (parsed.success) ({ code, message } = parsed.data.error);
    } catch {
      // Not Graph's envelope (a gateway page): the status alone decides.
    }
    const kind = graphErrorKind(res.status, code);
    const scrubbed = message
      ? redact(message, { credentials: { s: Buffer.from(account.clientSecret) }, settings: {} })
      : "";
    const said = code ? `: ${code}${scrubbed ? ` ${scrubbed}` : ""}` : "";
    const hint = kind === "forbidden" ? ` (${FORBIDDEN_HINT})` : "";
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    return new ProviderError(kind, `Microsoft Graph ${op} failed with HTTP ${res.status}${said}${hint}`, {
      status: res.status,
      ...(retryAfterMs !== undefined && (kind === "rate_limited" || kind === "transient")
        ? { retryAfterMs }
        : {}),
    });
  }
}
