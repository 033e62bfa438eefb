/**
 * Transport helpers shared by provider adapters: one fetch with a deadline that never throws
 * raw network errors, and Retry-After parsing. Vendor-specific status mapping stays in each
 * adapter. Nothing here may put a URL (which can carry account ids) into an error message.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { z } from "zod";
import { type ProviderAccount, ProviderError } from "./contract.ts";

/**
 * The account's shared request rate, as the sync engine sets it around a provider call:
 * every request waits for its own slot right before it is sent. Pacing here rather than
 * once per call counts every request (a lookup before a register, each page of a list) and
 * keeps database work between the slot and the request from making requests late, which
 * would push them into the provider's next window. Throws when the slot is too far away.
 */
export const requestPacing = new AsyncLocalStorage<() => Promise<void>>();

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Body as text; the whole body is read within the same deadline as the request. */
  text: string;
}

/** Why a request produced no HTTP answer at all. */
export type NetworkFailure = { kind: "timeout" } | { kind: "network"; code: string | undefined };

export type FetchOutcome = { ok: true; response: RawResponse } | { ok: false; failure: NetworkFailure };

export interface FetchOptions {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

function errorCode(err: unknown): string | undefined {
  // undici wraps socket errors: TypeError("fetch failed", { cause: { code: "ECONNRESET" } }).
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur && typeof cur === "object"; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === "TimeoutError" || (err.name === "AbortError" && /timeout/i.test(String(err.message))))
  );
}

/** Performs one request with `AbortSignal.timeout`, reading the body inside the deadline. */
export async function fetchWithDeadline(url: string, options: FetchOptions): Promise<FetchOutcome> {
  await requestPacing.getStore()?.();
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const res = await options.fetch(url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal,
    });
    const text = await res.text();
    return { ok: true, response: { status: res.status, headers: res.headers, text } };
  } catch (err) {
    if (isTimeout(err) || signal.aborted) return { ok: false, failure: { kind: "timeout" } };
    return { ok: false, failure: { kind: "network", code: errorCode(err) } };
  }
}

/** Retry-After as milliseconds (delta-seconds or HTTP date); undefined when absent or unusable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g;
const MAX_VENDOR_MESSAGE = 200;

/**
 * Makes a provider's message safe to put in an error: removes e-mail addresses (providers echo
 * them, e.g. ON24's "The attendant {email} doesn't exist.") and every credential value (ON24
 * echoes the clientId).
 */
export function redact(text: string, account: ProviderAccount | null): string {
  let out = text.replace(EMAIL, "<email>");
  if (account) {
    const secrets = Object.values(account.credentials)
      .map((b) => b.toString("utf8").trim())
      .filter((s) => s.length > 0)
      .sort((a, b) => b.length - a.length);
    for (const s of secrets) out = out.split(s).join("<redacted>");
  }
  out = out.replace(/\s+/g, " ").trim();
  return out.length > MAX_VENDOR_MESSAGE ? `${out.slice(0, MAX_VENDOR_MESSAGE)}…` : out;
}

/**
 * The error for a request that got no HTTP answer: timed out, or failed before one (refused,
 * reset, DNS). Always transient: nothing says the provider saw it, so the sync engine looks
 * up before writing again.
 */
export function noAnswerError(vendor: string, op: string, failure: NetworkFailure, timeoutMs: number) {
  const what =
    failure.kind === "timeout"
      ? `timed out after ${timeoutMs} ms`
      : `failed before an answer (${failure.code ?? "network error"})`;
  return new ProviderError("transient", `${vendor} ${op} ${what}`, {
    cause: failure.kind === "network" ? { code: failure.code } : { timeoutMs },
  });
}

/** Where a provider's answer broke its schema: the first three paths and issue codes, never values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.code}`)
    .join("; ");
}

/**
 * A 2xx body parsed with the operation's schema. Malformed JSON or an unexpected shape is
 * transient (a gateway page, a vendor deploy): the call is retried, and the message says
 * where the shape broke without echoing the body, which can hold personal data.
 */
export function parseAnswer<T>(
  vendor: string,
  op: string,
  res: { status: number; text: string },
  schema: z.ZodType<T>,
  parseJson: (text: string) => unknown = JSON.parse,
): T {
  let json: unknown;
  try {
    json = parseJson(res.text);
  } catch {
    throw new ProviderError("transient", `${vendor} ${op} answered HTTP ${res.status} with malformed JSON`, {
      status: res.status,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(
      "transient",
      `${vendor} ${op} answered an unexpected shape (${describeIssues(parsed.error)})`,
      { status: res.status },
    );
  }
  return parsed.data;
}

/** Whether `err` is a provider error of one of these kinds. */
export const isProviderError = (err: unknown, ...kinds: ProviderError["kind"][]): err is ProviderError =>
  err instanceof ProviderError && kinds.includes(err.kind);
