/**
 * HTTP side of the GoTo adapter: paces requests (GoTo allows 10 per second per API and sends no
 * rate headers), adds the bearer token, retries once with a fresh token when GoTo says the token
 * is invalid, parses answers without losing int64 keys and maps every failure to a
 * `ProviderError`. Messages never carry credentials, e-mail addresses or URLs (paths carry keys).
 */
import type { z } from "zod";
import { type ProviderAccount, ProviderError, type ProviderErrorKind } from "../contract.ts";
import { fetchWithDeadline, noAnswerError, parseAnswer, parseRetryAfter, redact } from "../http.ts";
import { parseJsonKeepingBigInts } from "./json.ts";
import { type GotoErrorBody, gotoErrorBody } from "./schemas.ts";
import { accountRef, type GotoAccessToken, type GotoAccountRef, type GotoTokenManager } from "./token.ts";

/** rate-limits.yml: "10 requests per second", per API. */
export const GOTO_REQUESTS_PER_SECOND = 10;
export interface GotoRequest<T> {
  /** Short label for messages, e.g. "create webinar". No personal data. */
  op: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /**
   * Path below `/organizers/{organizerKey}`, already URL-encoded; below the API root when
   * `unscoped` (the few routes without an organizer, e.g. /webinars/{webinarKey}/recordingAssets).
   */
  path: string;
  unscoped?: boolean;
  query?: Record<string, string | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
  /** null for answers without a body (202, 204). */
  schema: z.ZodType<T> | null;
}

/**
 * Gap between two requests of one account: a tenth above 1/10 s, because requests sent exactly
 * 100 ms apart can arrive closer together (network jitter) and make 11 in GoTo's one-second window.
 */
const SPACING_MS = Math.ceil((1000 / GOTO_REQUESTS_PER_SECOND) * 1.1);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Spaces the requests of one account evenly, within this process. Measured from the last actual
 * send (not pre-booked slots), so timers that fire late after an event-loop stall cannot release
 * a burst: every waiter re-checks after waking. Bursts would break the limit on arrival, since
 * parallel connections deliver them at uneven times.
 */
class Pacer {
  private readonly last = new Map<string, number>();
  async take(key: string): Promise<void> {
    for (;;) {
      const now = Date.now();
      const waited = now - (this.last.get(key) ?? 0);
      if (waited >= SPACING_MS) {
        this.last.set(key, now);
        return;
      }
      await sleep(SPACING_MS - waited);
    }
  }
}

/** 403 with GoTo's token error ("InvalidToken", "Invalid token passed") rather than a permission 403. */
export function isTokenRefusal(status: number, body: GotoErrorBody | undefined): boolean {
  if (status === 401) return true;
  if (status !== 403 || !body) return false;
  const code = `${body.int_err_code ?? ""} ${body.errorCode ?? ""}`;
  return (
    /invalidtoken|invalid_token|tokenexpired|token_expired/i.test(code) ||
    /invalid token/i.test(body.msg ?? "")
  );
}

export function gotoErrorKind(status: number, body: GotoErrorBody | undefined): ProviderErrorKind {
  if (isTokenRefusal(status, body)) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate_limited";
  if (status === 408) return "transient";
  if (status >= 400 && status < 500) return "invalid";
  return "transient";
}

function errorBody(text: string): GotoErrorBody | undefined {
  try {
    const parsed = gotoErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface GotoClientOptions {
  apiUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
  tokens: GotoTokenManager;
}

export class GotoClient {
  private readonly pacer = new Pacer();
  constructor(private readonly options: GotoClientOptions) {}

  /** The organizer whose webinars these are: the setting, else the token answer's organizer_key. */
  private organizerKey(ref: GotoAccountRef, token: GotoAccessToken): string {
    if (ref.organizerKey && token.organizerKey && ref.organizerKey !== token.organizerKey) {
      throw new ProviderError(
        "auth",
        "GoTo refresh token belongs to another organizer than the organizerKey setting",
      );
    }
    const key = ref.organizerKey ?? token.organizerKey;
    if (!key)
      throw new ProviderError(
        "invalid",
        'GoTo setting "organizerKey" is required (the token answer has none)',
      );
    return key;
  }

  /** Performs one call and returns the validated body; throws `ProviderError` otherwise. */
  async call<T>(account: ProviderAccount, req: GotoRequest<T>): Promise<T> {
    const ref = accountRef(account);
    let token = await this.options.tokens.get(ref, account);
    const scope = req.unscoped ? "" : `/organizers/${this.organizerKey(ref, token)}`;
    const url = new URL(`${this.options.apiUrl}${scope}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) token = await this.options.tokens.get(ref, account);
      await this.pacer.take(ref.key);
      const outcome = await fetchWithDeadline(url.toString(), {
        method: req.method,
        headers: {
          accept: "application/json",
          ...req.headers,
          authorization: `Bearer ${token.accessToken}`,
          ...(req.json !== undefined && { "content-type": "application/json" }),
        },
        body: req.json === undefined ? undefined : JSON.stringify(req.json),
        timeoutMs: this.options.timeoutMs,
        fetch: this.options.fetch,
      });
      if (!outcome.ok) throw noAnswerError("GoTo", req.op, outcome.failure, this.options.timeoutMs);
      const res = outcome.response;
      if (res.status >= 200 && res.status <= 299) return this.parse(req, res.status, res.text);
      const body = errorBody(res.text);
      if (isTokenRefusal(res.status, body)) {
        // The token expired or was revoked early: nothing was done, so one retry with a fresh token is safe.
        this.options.tokens.invalidate(ref, token);
        if (attempt === 1) continue;
      }
      const kind = gotoErrorKind(res.status, body);
      const vendor = body?.message ?? body?.msg ?? body?.description;
      const said = vendor ? `: ${redact(vendor, account)}` : "";
      const retryAfterMs =
        kind === "rate_limited" ? parseRetryAfter(res.headers.get("retry-after")) : undefined;
      throw new ProviderError(kind, `GoTo ${req.op} failed with HTTP ${res.status}${said}`, {
        status: res.status,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      });
    }
  }

  private parse<T>(req: GotoRequest<T>, status: number, text: string): T {
    if (req.schema === null) return undefined as T;
    // GoTo's keys exceed 2^53: parsed as strings, never rounded.
    return parseAnswer("GoTo", req.op, { status, text }, req.schema, parseJsonKeepingBigInts);
  }
}
