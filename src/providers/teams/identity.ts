/**
 * One request to the Microsoft identity platform's token endpoint
 * (`{loginUrl}/{tenant}/oauth2/v2.0/token`, form-encoded), shared by the app-only token
 * (client credentials, token.ts) and the organizer's delegated tokens (authorization code and
 * refresh token, organizer-consent.ts). Answers are mapped to `ProviderError` kinds; messages
 * carry the OAuth error and AADSTS codes only, never a token, secret or description text.
 */
import type { z } from "zod";
import { ProviderError } from "../contract.ts";
import { fetchWithDeadline, parseRetryAfter } from "../http.ts";
import { tokenErrorBody } from "./schemas.ts";

export interface IdentityOptions {
  loginUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

/** What a refusal (400/401) said: the OAuth error and the AADSTS numbers. */
export interface IdentityRefusal {
  status: number;
  error: string;
  codes: number[];
}

export const describeRefusal = (r: IdentityRefusal) =>
  `${r.error}${r.codes.length > 0 ? ` (AADSTS${r.codes.join(", AADSTS")})` : ""}`;

export function tokenEndpoint(loginUrl: string, tenantId: string): string {
  return `${loginUrl.replace(/\/+$/, "")}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/**
 * POSTs `form` to the tenant's token endpoint. 200 → the body parsed with `schema`; 429 →
 * `rate_limited`; 5xx, no answer or a malformed body → `transient`; 400/401 → whatever
 * `refused` makes of the refusal (it decides between `auth`, `token_expired`, `invalid`).
 */
export async function requestToken<T>(
  options: IdentityOptions,
  tenantId: string,
  form: Record<string, string>,
  schema: z.ZodType<T>,
  refused: (refusal: IdentityRefusal) => ProviderError,
): Promise<T> {
  const outcome = await fetchWithDeadline(tokenEndpoint(options.loginUrl, tenantId), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(form).toString(),
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
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
    const ok = schema.safeParse(json);
    if (!ok.success)
      throw new ProviderError("transient", "Microsoft sign-in answered an unexpected token shape");
    return ok.data;
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
  const err = tokenErrorBody.safeParse(json);
  throw refused({
    status: res.status,
    error: err.success ? err.data.error : "unknown_error",
    codes: err.success ? (err.data.error_codes ?? []) : [],
  });
}
