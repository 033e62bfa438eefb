/**
 * HTTP side of the Zoom adapter: bearer token from the token manager, JSON bodies, zod-checked
 * answers, and every failure as a `ProviderError`. A 401 (Zoom code 124 "Access token is
 * expired." / "Invalid access token.") drops the token, fetches a new one and retries once; a
 * second 401 means the app itself is refused (`auth`). Messages never carry e-mail addresses
 * (Zoom echoes them in the per-registrant limit message), credential values or URLs.
 */
import type { z } from "zod";
import { type ProviderAccount, ProviderError, type ProviderErrorKind } from "../contract.ts";
import {
  fetchWithDeadline,
  noAnswerError,
  parseAnswer,
  parseRetryAfter,
  type RawResponse,
  redact,
} from "../http.ts";
import { zoomErrorBody } from "./schemas.ts";
import type { ZoomTokenManager } from "./token.ts";

export interface ZoomRequest<T> {
  /** Short label for messages, e.g. "create webinar". No personal data. */
  op: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path below the API base, already URL-encoded, e.g. "/webinars/123/registrants". */
  path: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  /** Null for answers without a body (204). */
  schema: z.ZodType<T> | null;
}

/**
 * Zoom's per-registrant daily limits ("…daily rate limit (3) of … API requests permitted for
 * (…) this particular registrant. You may resume these requests at GMT 00:00:00."). Retrying
 * before midnight UTC only spends the next day's allowance, so this is `rate_limited` with the
 * delay until 00:00 UTC: the engine defers that one registration without spending an attempt,
 * and nothing else on the account slows down (a `quota` would pause the whole account).
 */
const PER_REGISTRANT_LIMIT = /this particular registrant|for the registrant/i;

export function msUntilUtcMidnight(now = Date.now()): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now;
}

export function zoomErrorKind(status: number, code: number | undefined): ProviderErrorKind {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate_limited";
  if (status === 408) return "transient";
  // 400 code 3001 "Webinar does not exist" is how some endpoints report a deleted webinar.
  if (status === 400 && code === 3001) return "not_found";
  if (status >= 400 && status < 500) return "invalid";
  return "transient";
}

function vendorError(text: string): { code?: number | undefined; message?: string } {
  try {
    const parsed = zoomErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? { code: parsed.data.code, message: parsed.data.message } : {};
  } catch {
    return {};
  }
}

export function zoomHttpError(op: string, res: RawResponse, account: ProviderAccount | null): ProviderError {
  const vendor = vendorError(res.text);
  const kind = zoomErrorKind(res.status, vendor.code);
  const said = vendor.message ? `: ${redact(vendor.message, account)}` : "";
  const code = vendor.code !== undefined ? ` code ${vendor.code}` : "";
  let retryAfterMs: number | undefined;
  if (kind === "rate_limited") {
    retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    if (retryAfterMs === undefined && PER_REGISTRANT_LIMIT.test(vendor.message ?? "")) {
      retryAfterMs = msUntilUtcMidnight();
    }
  }
  return new ProviderError(kind, `Zoom ${op} failed with HTTP ${res.status}${code}${said}`, {
    status: res.status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}

export function isPerRegistrantLimit(err: unknown): boolean {
  return (
    err instanceof ProviderError && err.kind === "rate_limited" && PER_REGISTRANT_LIMIT.test(err.message)
  );
}

export class ZoomClient {
  constructor(
    private readonly options: { apiUrl: string; timeoutMs: number; fetch: typeof fetch },
    private readonly tokens: ZoomTokenManager,
  ) {}

  async call<T>(account: ProviderAccount, req: ZoomRequest<T>): Promise<T> {
    let token = await this.tokens.get(account);
    let res = await this.send(token, req);
    if (res.status === 401) {
      // Expired or invalidated token: one refresh (shared with concurrent callers), one retry.
      this.tokens.invalidate(account, token);
      token = await this.tokens.get(account);
      res = await this.send(token, req);
      if (res.status === 401) this.tokens.invalidate(account, token);
    }
    if (res.status < 200 || res.status > 299) throw zoomHttpError(req.op, res, account);
    if (req.schema === null) return undefined as T;
    return parseAnswer("Zoom", req.op, res, req.schema);
  }

  private async send<T>(token: string, req: ZoomRequest<T>): Promise<RawResponse> {
    const url = new URL(`${this.options.apiUrl.replace(/\/+$/, "")}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (req.json !== undefined) headers["content-type"] = "application/json";
    const outcome = await fetchWithDeadline(url.toString(), {
      method: req.method,
      headers,
      body: req.json === undefined ? undefined : JSON.stringify(req.json),
      timeoutMs: this.options.timeoutMs,
      fetch: this.options.fetch,
    });
    if (!outcome.ok) throw noAnswerError("Zoom", req.op, outcome.failure, this.options.timeoutMs);
    return outcome.response;
  }
}
