// Request pipeline of every Webinar API route: count → latency → auth (403 InvalidToken) →
// organizer permission (403) → rate limit (429) → fault before commit → handler → fault after
// commit (writes only). Faults are drawn before the handler runs, so a faulted request has no effect.
import type { IncomingMessage, ServerResponse } from "node:http";
import { badRequest, forbidden, GotoError, invalidToken, notFound, tooManyRequests } from "./errors.ts";
import { stringify } from "./json.ts";
import type { GotoSimState } from "./state.ts";
import type { AccessToken, FaultKind } from "./types.ts";

export interface Result {
  status?: number;
  body?: unknown;
}

export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path as in GoTo's OpenAPI document, below the base URL. */
  path: string;
  handler: (ctx: RouteCtx) => Result;
}

export class RouteCtx {
  constructor(
    readonly state: GotoSimState,
    readonly token: AccessToken,
    readonly organizerKey: bigint,
    readonly params: Record<string, string>,
    readonly query: URLSearchParams,
    private readonly req: IncomingMessage,
    private readonly raw: string,
  ) {}

  /** A path key as int64; GoTo's keys are numeric. */
  key(name: string): bigint {
    const v = this.params[name] ?? "";
    if (!/^\d{1,19}$/.test(v)) throw badRequest(`${name} must be numeric`);
    return BigInt(v);
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  json(): Record<string, unknown> {
    if (this.raw.trim() === "") throw badRequest("A request body is required");
    let v: unknown;
    try {
      v = JSON.parse(this.raw);
    } catch {
      throw badRequest("The request body is not valid JSON");
    }
    if (!v || typeof v !== "object" || Array.isArray(v))
      throw badRequest("The request body must be a JSON object");
    return v as Record<string, unknown>;
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(stringify(body));
}

export function sendFault(res: ServerResponse, kind: FaultKind) {
  if (kind === "reset") {
    res.socket?.destroy();
    return;
  }
  if (kind === "500")
    return send(res, 500, { errorCode: "INTERNAL_SERVER_ERROR", message: "Internal Server Error" });
  const title = kind === "502" ? "502 Bad Gateway" : "503 Service Temporarily Unavailable";
  res
    .writeHead(Number(kind), { "content-type": "text/html" })
    .end(`<html><body><h1>${title}</h1></body></html>`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Compiled {
  def: RouteDef;
  re: RegExp;
  names: string[];
}

export function compile(routes: RouteDef[]): Compiled[] {
  return routes.map((def) => {
    const names: string[] = [];
    const re = new RegExp(
      `^${def.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
        names.push(n);
        return "([^/]+)";
      })}$`,
    );
    return { def, re, names };
  });
}

function authenticate(state: GotoSimState, req: IncomingMessage): AccessToken {
  const auth = req.headers.authorization ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  const token = m ? state.tokens.get(m[1] as string) : undefined;
  if (!token || token.expiresAt <= state.now()) throw invalidToken();
  return token;
}

/** Serves one Webinar API request; `path` is below the base URL. */
export async function serveApi(
  state: GotoSimState,
  routes: Compiled[],
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  raw: string,
): Promise<void> {
  let match: { c: Compiled; m: RegExpExecArray } | undefined;
  for (const c of routes) {
    const m = c.def.method === req.method ? c.re.exec(path) : null;
    if (m) {
      match = { c, m };
      break;
    }
  }
  state.countRequest(match ? `${match.c.def.method} ${match.c.def.path}` : `${req.method} (unrouted)`);
  const delay = state.latency();
  if (delay > 0) await sleep(delay);
  try {
    if (!match) throw notFound(`No route for ${req.method} ${path}`);
    const params: Record<string, string> = {};
    match.c.names.forEach((n, i) => {
      params[n] = decodeURIComponent(match.m[i + 1] ?? "");
    });
    const token = authenticate(state, req);
    const account = state.accountByClient(token.clientId);
    if (!account?.permitted) throw forbidden();
    // Routes without an organizer in the path (recordingAssets) act as the token's organizer.
    const organizer = params.organizerKey ?? String(token.organizerKey);
    if (!/^\d{1,19}$/.test(organizer) || BigInt(organizer) !== token.organizerKey)
      throw forbidden("The organizer key does not belong to the authenticated user");
    if (!state.admit(token.organizerKey)) throw tooManyRequests(state.knobs.retryAfterSeconds);
    const isWrite = req.method !== "GET";
    const pre = state.pickFault(isWrite, false);
    if (pre) return sendFault(res, pre);
    const ctx = new RouteCtx(state, token, token.organizerKey, params, query, req, raw);
    const result = match.c.def.handler(ctx);
    const post = isWrite ? state.pickFault(true, true) : null;
    if (post) return sendFault(res, post);
    send(res, result.status ?? 200, result.body);
  } catch (err) {
    if (err instanceof GotoError) return send(res, err.status, err.body, err.headers);
    throw err;
  }
}
