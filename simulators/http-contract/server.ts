// Reference implementation of the open provider contract (docs/provider-contract.openapi.json):
// a stand-alone fastify server for integration tests, demos and partners who want to see the
// contract running. Production code must never import it. The API lives under `${url}/v1`
// (the base URL a configuration uses); the control API under `${url}/_sim`.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { registerControlRoutes } from "./control.ts";
import { registerPurgeRoute } from "./purge.ts";
import { ApiError } from "./render.ts";
import { API_ROUTES, type ApiRoute } from "./routes.ts";
import { type ContractClientAccount, ContractState, type Knobs } from "./state.ts";

export type { ContractClientAccount, Knobs } from "./state.ts";
export { ContractState } from "./state.ts";

export const API_PREFIX = "/v1";
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface ContractSimulatorOptions {
  clients: ContractClientAccount[];
  knobs?: Partial<Knobs>;
  /** Where signed webhooks go, and the secret they are signed with. */
  webhook?: { url: string; secret: string };
  seed?: number;
  host?: string;
  port?: number;
  logger?: boolean;
}

export interface ContractSimulator {
  /** Origin, e.g. "http://127.0.0.1:40123". */
  url: string;
  /** The contract's base URL: `${url}/v1`. */
  baseUrl: string;
  state: ContractState;
  app: FastifyInstance;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(reply: FastifyReply, err: ApiError) {
  if (err.status === 401) reply.header("www-authenticate", 'Bearer error="invalid_token"');
  reply.code(err.status).type("application/json").send(err.body());
}

/** Ends the exchange without an HTTP answer, as a crashed server or a dropped connection would. */
function reset(req: FastifyRequest, reply: FastifyReply) {
  reply.hijack();
  req.raw.socket.destroy();
}

function bearerClient(state: ContractState, req: FastifyRequest): string {
  const auth = String(req.headers.authorization ?? "");
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  const token = m?.[1] ? state.tokens.get(m[1]) : undefined;
  if (!token || token.expiresAt <= Date.now()) {
    throw new ApiError(401, "invalid_token", "The access token is missing, unknown or expired");
  }
  return token.clientId;
}

function handlerFor(state: ContractState, def: ApiRoute) {
  const isWrite = def.method !== "GET";
  const route = `${def.method} ${def.path}`;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    state.countRequest(route);
    if (state.knobs.latencyMs > 0) await sleep(state.knobs.latencyMs);
    try {
      const clientId = bearerClient(state, req);
      const waitMs = state.overLimit(clientId);
      if (waitMs !== null) {
        reply.header("retry-after", String(Math.max(1, Math.ceil(waitMs / 1000))));
        const code = state.knobs.rateLimitCode;
        throw new ApiError(
          429,
          code,
          code === "quota_exceeded" ? "Request quota exhausted" : "Too many requests",
        );
      }
      const fault = isWrite ? state.pickFault() : null;
      if (fault === "before") {
        if (state.rng() < 0.5) return reset(req, reply);
        throw new ApiError(503, "unavailable", "Service temporarily unavailable");
      }
      const rawKey = req.headers["idempotency-key"];
      const key = def.idempotent && typeof rawKey === "string" && rawKey !== "" ? rawKey : null;
      if (key !== null && key.length > 255)
        throw new ApiError(
          400,
          "invalid_request",
          "Idempotency-Key is longer than 255 characters",
          "Idempotency-Key",
        );
      const params = req.params as Record<string, string>;
      const query = Object.fromEntries(
        Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [
          k,
          String(Array.isArray(v) ? v[0] : v),
        ]),
      );
      const storeKey = key === null ? null : `${clientId}\0${route}\0${JSON.stringify(params)}\0${key}`;
      const fingerprint = JSON.stringify(req.body ?? null);
      const kept = storeKey === null ? undefined : state.idempotency.get(storeKey);
      // The contract asks for at least 24 hours; keys are forgotten after that.
      const stored = kept && Date.now() - kept.at < IDEMPOTENCY_TTL_MS ? kept : undefined;
      let result: { status: number; body?: unknown };
      if (stored) {
        if (stored.fingerprint !== fingerprint)
          throw new ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request body",
            "Idempotency-Key",
          );
        result = { status: stored.status, body: stored.body };
        reply.header("idempotent-replayed", "true");
      } else {
        result = def.handler({ state, clientId, params, query, body: req.body });
        if (storeKey !== null)
          state.idempotency.set(storeKey, {
            fingerprint,
            status: result.status,
            body: result.body,
            at: Date.now(),
          });
      }
      if (fault === "after") {
        if (state.rng() < 0.5) return reset(req, reply);
        throw new ApiError(500, "internal", "Internal error");
      }
      if (result.body === undefined) reply.code(result.status).send();
      else reply.code(result.status).type("application/json").send(result.body);
    } catch (err) {
      if (err instanceof ApiError) return send(reply, err);
      throw err;
    }
  };
}

/** RFC 6749 §4.4 with client authentication by HTTP Basic (§2.3.1) or, as the RFC allows, in the body. */
function tokenHandler(state: ContractState) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    state.countRequest("POST /oauth/token");
    if (state.knobs.latencyMs > 0) await sleep(state.knobs.latencyMs);
    const form = new URLSearchParams(typeof req.body === "string" ? req.body : "");
    const oauthError = (status: number, error: string, description: string) => {
      if (status === 401) reply.header("www-authenticate", 'Basic realm="token"');
      return reply.code(status).type("application/json").send({ error, error_description: description });
    };
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""));
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        id = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (form.get("grant_type") !== "client_credentials")
      return oauthError(400, "unsupported_grant_type", "grant_type must be client_credentials");
    const client = state.clients.find((c) => c.clientId === id);
    if (!client || client.clientSecret !== secret)
      return oauthError(401, "invalid_client", "Unknown client or wrong secret");
    const { token, expiresIn } = state.issueToken(client.clientId);
    reply.header("cache-control", "no-store");
    return reply.code(200).send({ access_token: token, token_type: "Bearer", expires_in: expiresIn });
  };
}

export function buildContractApp(state: ContractState, logger = false): FastifyInstance {
  const app = Fastify({ logger });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    const code = status === 415 ? "invalid_request" : status < 500 ? "invalid_request" : "internal";
    reply.code(status).send({ error: { code, message: err.message } });
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send({ error: { code: "not_found", message: "No such operation" } });
  });
  app.post(`${API_PREFIX}/oauth/token`, tokenHandler(state));
  for (const def of API_ROUTES) {
    app.route({
      method: def.method,
      url: API_PREFIX + def.path.replace(/\{(\w+)\}/g, ":$1"),
      handler: handlerFor(state, def),
    });
  }
  registerControlRoutes(app, state);
  registerPurgeRoute(app, state);
  return app;
}

export async function startContractSimulator(options: ContractSimulatorOptions): Promise<ContractSimulator> {
  if (options.clients.length === 0)
    throw new Error("startContractSimulator: at least one client is required");
  const state = new ContractState(options);
  if (options.webhook) state.webhook = options.webhook;
  const app = buildContractApp(state, options.logger ?? false);
  await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("contract simulator: unexpected listen address");
  const url = `http://${addr.address}:${addr.port}`;
  return {
    url,
    baseUrl: url + API_PREFIX,
    state,
    app,
    close: async () => {
      state.webhook = null;
      await app.close();
    },
  };
}
