// Request pipeline shared by every Graph route: count → latency → bearer token → rate limit →
// fault decided before the handler (so a pre-commit fault changes nothing) → access policy →
// handler → after-commit fault on writes. Errors use Graph's envelope
// `{"error": {"code", "message", "innerError": {"date", "request-id"}}}`.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TeamsSimState, TokenGrant } from "./state.ts";

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function graphErrorBody(code: string, message: string) {
  return {
    error: { code, message, innerError: { date: new Date().toISOString(), "request-id": randomUUID() } },
  };
}

export interface GraphCtx {
  state: TeamsSimState;
  grant: TokenGrant;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** Base of this Graph, for nextLinks: "http://127.0.0.1:1234/v1.0". */
  base: string;
}

export interface Result {
  status: number;
  body?: unknown;
}

export type Handler = (ctx: GraphCtx) => Result | Promise<Result>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reset(req: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  req.raw.socket.destroy();
}

export const GRAPH_PREFIX = "/v1.0";

export function graphRoute(
  app: FastifyInstance,
  state: TeamsSimState,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  handler: Handler,
): void {
  const write = method !== "GET";
  app.route({
    method,
    url: GRAPH_PREFIX + path,
    handler: async (req, reply) => {
      state.requestCount++;
      if (state.knobs.latencyMs > 0) await sleep(state.knobs.latencyMs);
      try {
        const auth = String(req.headers.authorization ?? "");
        const token = /^Bearer (.+)$/i.exec(auth)?.[1];
        if (!token) throw new GraphError(401, "InvalidAuthenticationToken", "Access token is empty.");
        const grant = state.tokens.get(token);
        if (!grant)
          throw new GraphError(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.");
        if (grant.expiresAt <= Date.now()) {
          throw new GraphError(
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
          );
        }
        state.checkRate(grant.clientId);
        let fault: "before" | "after" | null = null;
        if (write && state.knobs.faultRate > 0 && state.random() < state.knobs.faultRate) {
          fault = state.random() < state.knobs.faultAfterCommitShare ? "after" : "before";
        }
        if (fault === "before") {
          if (state.random() < 0.5) return reset(req, reply);
          throw new GraphError(503, "ServiceUnavailable", "The service is temporarily unavailable.");
        }
        // An application access policy governs app-only tokens; a delegated token acts as its user.
        if (grant.userId === undefined && path !== "/subscriptions" && !path.startsWith("/subscriptions/")) {
          if (!state.app(grant.tenantId, grant.clientId)?.accessPolicy) {
            throw new GraphError(403, "Forbidden", "No application access policy found for this app.");
          }
        }
        const host = String(req.headers.host ?? "127.0.0.1");
        const result = await handler({
          state,
          grant,
          params: req.params as Record<string, string>,
          query: req.query as Record<string, string>,
          body: req.body && typeof req.body === "object" ? (req.body as Record<string, unknown>) : {},
          base: `http://${host}${GRAPH_PREFIX}`,
        });
        if (fault === "after") {
          if (state.random() < 0.5) return reset(req, reply);
          throw new GraphError(500, "UnknownError", "An internal server error occurred.");
        }
        reply.code(result.status);
        if (result.body === undefined) return reply.send();
        return reply.type("application/json").send(result.body);
      } catch (err) {
        if (!(err instanceof GraphError)) throw err;
        for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
        return reply.code(err.status).type("application/json").send(graphErrorBody(err.code, err.message));
      }
    },
  });
}

/** One page of a collection; `$skiptoken` is the offset, carried in the nextLink. */
export function page<T>(ctx: GraphCtx, items: T[], path: string): Result {
  const size = ctx.state.knobs.pageSize;
  const offset = Number(ctx.query.$skiptoken ?? "0");
  if (!Number.isInteger(offset) || offset < 0) throw new GraphError(400, "BadRequest", "Invalid $skiptoken.");
  const value = items.slice(offset, offset + size);
  const body: Record<string, unknown> = { "@odata.context": `${ctx.base}/$metadata#${path}`, value };
  if (offset + size < items.length) {
    const next = new URL(`${ctx.base}${path}`);
    for (const [k, v] of Object.entries(ctx.query)) if (k !== "$skiptoken") next.searchParams.set(k, v);
    next.searchParams.set("$skiptoken", String(offset + size));
    body["@odata.nextLink"] = next.toString();
  }
  return { status: 200, body };
}

export function requireString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== "string" || v.trim() === "") {
    throw new GraphError(
      400,
      "BadRequest",
      `The property '${name}' is required and must be a non-empty string.`,
    );
  }
  return v;
}
