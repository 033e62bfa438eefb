/**
 * HTTP side of the ON24 adapter: builds authenticated requests (form-encoded writes), validates
 * answers with zod and turns every failure into a `ProviderError`. Credentials stay Buffers until
 * the request headers are built; error messages never carry credential values, e-mail addresses
 * or URLs (the path contains the clientId).
 */
import type { z } from "zod";
import { type ProviderAccount, ProviderError, type ProviderErrorKind } from "../contract.ts";
import { fetchWithDeadline, noAnswerError, parseAnswer, parseRetryAfter, redact } from "../http.ts";

import { on24ErrorBody } from "./schemas.ts";

export type On24Region = "NA" | "EU";

export const ON24_DEFAULT_BASE_URLS: Record<On24Region, string> = {
  NA: "https://api.on24.com/v2",
  EU: "https://api.eu.on24.com/v2",
};

export const ON24_CREDENTIAL_FIELDS = ["clientId", "accessTokenKey", "accessTokenSecret"] as const;

export interface On24ClientOptions {
  baseUrls: Record<On24Region, string>;
  timeoutMs: number;
  fetch: typeof fetch;
}

export interface On24Request<T> {
  /** Short label for messages, e.g. "create event". Must not contain personal data. */
  op: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path below `/client/{clientId}`, already URL-encoded, e.g. "/event/123/registrant". */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as application/x-www-form-urlencoded (ON24 writes are never JSON). */
  form?: URLSearchParams;
  schema: z.ZodType<T>;
  /** This call's deadline, body included, when it is not the client's (long unpaged lists). */
  timeoutMs?: number;
}

/** Account values the adapter may hold on to: the clientId (for paths and cache keys) and region. */
export interface On24AccountRef {
  clientId: string;
  region: On24Region;
}

// --- account -------------------------------------------------------------------------------

function credential(account: ProviderAccount, name: string): Buffer {
  const value = account.credentials[name];
  if (!value || value.length === 0) {
    throw new ProviderError("auth", `ON24 credential "${name}" is missing`);
  }
  return value;
}

/** Validates the account's shape and returns its non-secret parts. */
export function accountRef(account: ProviderAccount): On24AccountRef {
  for (const name of ON24_CREDENTIAL_FIELDS) credential(account, name);
  const clientId = credential(account, "clientId").toString("utf8").trim();
  if (!/^\d+$/.test(clientId)) throw new ProviderError("auth", "ON24 clientId must be numeric");
  const region = account.settings.region ?? "NA";
  if (region !== "NA" && region !== "EU") {
    throw new ProviderError("invalid", 'ON24 setting "region" must be "NA" or "EU"');
  }
  return { clientId, region };
}

function authHeaders(account: ProviderAccount): Record<string, string> {
  return {
    accessTokenKey: credential(account, "accessTokenKey").toString("utf8").trim(),
    accessTokenSecret: credential(account, "accessTokenSecret").toString("utf8").trim(),
  };
}

// --- error mapping -------------------------------------------------------------------------

/** "You have reached the maximum number of calls for this api." / "…for this endpoint" (rate-limits.yml). */
const QUOTA_MESSAGE = /maximum number of calls/i;
/** 401 "AccessTokenKey and AccessTokenSecret are deactivated." (tokens idle 60 days are disabled). */
const TOKEN_EXPIRED_MESSAGE = /deactivated|disabled|expired/i;
/** 403 "The event {eventId} is inactive." / "The event id {eventId} is inactive." — a deleted event. */
const EVENT_INACTIVE_MESSAGE = /\bevent (?:id )?\S+ is inactive/i;

export interface On24HttpFailure {
  status: number;
  /** ON24's `message`, if the body was ON24's JSON envelope. Not yet redacted. */
  vendorMessage: string | undefined;
  retryAfter: string | null;
}

/**
 * Maps an ON24 HTTP failure to the error kind the sync engine acts on. ON24 signals quota
 * exhaustion with 403 (not 429), so 403 is split by message; a deleted event answers 403
 * "…is inactive", which is `not_found` for us. 410 is `not_found` (deleteWebinar treats it as done).
 */
export function on24ErrorKind(status: number, vendorMessage: string | undefined): ProviderErrorKind {
  const msg = vendorMessage ?? "";
  if (status === 401) return TOKEN_EXPIRED_MESSAGE.test(msg) ? "token_expired" : "auth";
  if (status === 403) {
    if (QUOTA_MESSAGE.test(msg)) return "quota";
    if (EVENT_INACTIVE_MESSAGE.test(msg)) return "not_found";
    return "forbidden";
  }
  if (status === 404 || status === 410) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate_limited";
  if (status === 408) return "transient";
  if (status >= 400 && status < 500) return "invalid";
  return "transient";
}

export function on24HttpError(
  op: string,
  failure: On24HttpFailure,
  account: ProviderAccount | null,
): ProviderError {
  const kind = on24ErrorKind(failure.status, failure.vendorMessage);
  const said = failure.vendorMessage ? `: ${redact(failure.vendorMessage, account)}` : "";
  const retryAfterMs = kind === "rate_limited" ? parseRetryAfter(failure.retryAfter) : undefined;
  return new ProviderError(kind, `ON24 ${op} failed with HTTP ${failure.status}${said}`, {
    status: failure.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function vendorMessage(text: string): string | undefined {
  try {
    const parsed = on24ErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.message : undefined;
  } catch {
    return undefined;
  }
}

// --- client --------------------------------------------------------------------------------

export class On24Client {
  constructor(private readonly options: On24ClientOptions) {}

  /** Performs one call and returns the validated body; throws `ProviderError` otherwise. */
  async call<T>(account: ProviderAccount, req: On24Request<T>): Promise<T> {
    const ref = accountRef(account);
    const base = this.options.baseUrls[ref.region].replace(/\/+$/, "");
    const url = new URL(`${base}/client/${ref.clientId}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, v);
    }
    const headers: Record<string, string> = { accept: "application/json", ...authHeaders(account) };
    let body: string | undefined;
    if (req.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = req.form.toString();
    }
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const outcome = await fetchWithDeadline(url.toString(), {
      method: req.method,
      headers,
      body,
      timeoutMs,
      fetch: this.options.fetch,
    });
    if (!outcome.ok) throw noAnswerError("ON24", req.op, outcome.failure, timeoutMs);
    const res = outcome.response;
    if (res.status < 200 || res.status > 299) {
      throw on24HttpError(
        req.op,
        {
          status: res.status,
          vendorMessage: vendorMessage(res.text),
          retryAfter: res.headers.get("retry-after"),
        },
        account,
      );
    }
    return parseAnswer("ON24", req.op, res, req.schema);
  }
}
