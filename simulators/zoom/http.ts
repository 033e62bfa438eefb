// Request pipeline of every Zoom API route: count → latency → pre-commit fault → bearer token →
// per-second rate limit of the route's label → handler → after-commit fault. Faults hit writes
// only; a pre-commit fault is chosen before the handler runs, so nothing is applied.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ZoomSimState } from "./state.ts";
import type { FaultKind, RateCategory } from "./types.ts";

/** A Zoom error answer: HTTP status plus `{code, message}`. */
export class ZoomError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RouteCtx {
  state: ZoomSimState;
  accountId: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface Result {
  status: number;
  body?: unknown;
}

export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path below /v2 as in Zoom's reference, e.g. "/webinars/{webinarId}/registrants". */
  path: string;
  category: RateCategory;
  handler: (ctx: RouteCtx) => Result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sendFault(req: FastifyRequest, reply: FastifyReply, kind: FaultKind): void {
  if (kind === "reset") {
    reply.hijack();
    req.raw.socket.destroy();
    return;
  }
  if (kind === "500") {
    reply.code(500).send({ code: 500, message: "Internal Server Error" });
    return;
  }
  reply.code(502).type("text/html").send("<html><body><h1>502 Bad Gateway</h1></body></html>");
}

function bearer(req: FastifyRequest): string {
  const h = req.headers.authorization ?? "";
  return /^Bearer\s+(.+)$/i.exec(h)?.[1]?.trim() ?? "";
}

export function makeHandler(state: ZoomSimState, def: RouteDef) {
  const isWrite = def.method !== "GET";
  const endpoint = `${def.method} ${def.path}`;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    state.countRequest(endpoint);
    const delay = state.latency();
    if (delay > 0) await sleep(delay);
    const pre = state.pickFault(isWrite, false);
    if (pre) return sendFault(req, reply, pre);
    try {
      const who = state.tokenAccount(bearer(req));
      if ("error" in who) {
        throw new ZoomError(
          401,
          124,
          who.error === "expired" ? "Access token is expired." : "Invalid access token.",
        );
      }
      if (!state.takeRate(who.accountId, def.category)) {
        throw new ZoomError(
          429,
          429,
          "You have reached the maximum per-second rate limit for this API. Try again later.",
          {
            "retry-after": "1",
            "x-ratelimit-category": def.category[0]?.toUpperCase() + def.category.slice(1),
            "x-ratelimit-type": "QPS",
          },
        );
      }
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
        query[k] = String(Array.isArray(v) ? v[0] : v);
      }
      const result = def.handler({
        state,
        accountId: who.accountId,
        params: req.params as Record<string, string>,
        query,
        body: req.body,
      });
      const post = state.pickFault(isWrite, true);
      if (post) return sendFault(req, reply, post);
      if (result.body === undefined) reply.code(result.status).send();
      else reply.code(result.status).type("application/json").send(result.body);
    } catch (err) {
      if (!(err instanceof ZoomError)) throw err;
      reply
        .headers(err.headers)
        .code(err.status)
        .type("application/json")
        .send({ code: err.code, message: err.message });
    }
  };
}

/** The page size Zoom allows: default 30, at most 300. */
export function pageSize(query: Record<string, string>): number {
  const raw = query.page_size;
  if (raw === undefined) return 30;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ZoomError(400, 300, "Invalid field: page_size.");
  return Math.min(n, 300);
}

export const invalidField = (field: string) => new ZoomError(400, 300, `Invalid field: ${field}.`);
export const webinarNotFound = (id: string) => new ZoomError(404, 3001, `Webinar does not exist: ${id}.`);
