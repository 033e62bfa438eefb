// Request pipeline shared by every ON24 route: count and quota (on arrival) → latency →
// pre-commit fault → auth → quota answer → handler → after-commit fault. Faults are chosen
// *before* the handler runs so a faulted request has no effect; after-commit faults are
// applied only to writes. The quota counts a request when it arrives, as a gateway does: the
// latency knob stands for ON24's own work and the way back, and counting after it would let
// this process's timers, not the client, decide which window a request falls in.
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Form, field } from "./forms.ts";
import { API_DIALECT, type Dialect, MSG, On24Error } from "./messages.ts";
import type { SimState } from "./state.ts";
import type { Account, FaultKind, Region } from "./types.ts";

export interface RouteCtx {
  state: SimState;
  account: Account;
  clientId: number;
  region: Region;
  params: Record<string, string>;
  query: Record<string, string>;
  form: Form;
}

export interface Result {
  status?: number;
  /** Serialized as JSON; a string is taken as JSON text already (see jsonList). */
  body: unknown;
}

/**
 * The JSON text of `{...head, [key]: items.map(render)}`, byte for byte what JSON.stringify
 * of that object gives, built one item at a time. The unpaged lists (event-level attendees
 * and registrants) reach 100,000 items: rendered all at once, every item's object graph
 * lives until the whole document is serialized, and the garbage collector's copying of it
 * took longer than rendering. Each item is garbage as soon as its text exists this way.
 */
export function jsonList<T>(
  head: Record<string, unknown>,
  key: string,
  items: T[],
  render: (item: T) => unknown,
) {
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = JSON.stringify(render(items[i] as T));
  const open = JSON.stringify({ ...head, [key]: [] }).slice(0, -"[]}".length);
  return `${open}[${parts.join(",")}]}`;
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteDef {
  method: Method;
  /** Path exactly as in openapi.json, e.g. "/client/{clientId}/event/{eventId}". */
  path: string;
  operationId: string;
  dialect: Dialect;
  handler: (ctx: RouteCtx) => Result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sendError(reply: FastifyReply, status: number, message: string): void {
  reply.code(status).type("application/json").send({ message });
}

/** Renders a fault. 502/503 look like a load balancer page, not ON24 JSON. */
export async function sendFault(
  req: FastifyRequest,
  reply: FastifyReply,
  kind: FaultKind,
  hangMs = 20_000,
): Promise<void> {
  switch (kind) {
    case "hang":
      await sleep(hangMs);
      return drop(req, reply);
    case "drop":
      return drop(req, reply);
    case "500":
      return sendError(reply, 500, "Internal Server Error");
    case "quota403":
      return sendError(reply, 403, API_DIALECT.quota);
    case "429":
      reply.header("retry-after", "1");
      return sendError(reply, 429, "Too Many Requests");
    case "429-bare":
      return sendError(reply, 429, "Too Many Requests");
    case "malformed":
      reply.code(200).type("application/json").send('{"registrantid": 12, "email": "x@');
      return;
    case "truncated": {
      // Promise a longer body than is sent, then close: the client sees a premature end.
      reply.hijack();
      const socket = req.raw.socket;
      socket.write(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n" +
          '{"registrantid": 1234, "email": "trunc',
      );
      socket.end();
      return;
    }
    default: {
      const title = kind === "502" ? "502 Bad Gateway" : "503 Service Temporarily Unavailable";
      reply
        .code(Number(kind))
        .type("text/html")
        .send(
          `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>`,
        );
    }
  }
}

function drop(req: FastifyRequest, reply: FastifyReply) {
  reply.hijack();
  req.raw.socket.destroy();
}

function header(req: FastifyRequest, name: string): string {
  const v = req.headers[name.toLowerCase()];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? "";
}

/** Auth exactly as documented: both headers (case-insensitive names), pair must match, pair must be active. */
function authenticate(state: SimState, req: FastifyRequest, region: Region, dialect: Dialect): Account {
  const key = header(req, "accessTokenKey");
  const secret = header(req, "accessTokenSecret");
  if (!key || !secret) throw new On24Error(401, MSG.missingHeaders);
  // Tokens are regional: an EU pair is unknown to the NA host and vice versa.
  const acc = state.accounts.find((a) => a.accessTokenKey === key && a.region === region);
  if (!acc || acc.accessTokenSecret !== secret) throw new On24Error(401, dialect.invalidTokens);
  state.expireIfIdle(acc);
  if (!acc.active) throw new On24Error(401, MSG.deactivated);
  acc.lastUsedAt = state.now();
  return acc;
}

function authorizeClient(state: SimState, acc: Account, rawClientId: string, dialect: Dialect): number {
  if (!/^\d+$/.test(rawClientId)) throw new On24Error(404, MSG.clientNotFound(rawClientId));
  const clientId = Number(rawClientId);
  if (clientId !== acc.clientId) {
    const known = state.accounts.some((a) => a.clientId === clientId);
    throw known ? new On24Error(403, dialect.noAccess) : new On24Error(404, MSG.clientNotFound(rawClientId));
  }
  if (!acc.clientActive) throw new On24Error(403, MSG.clientInactive(rawClientId));
  return clientId;
}

/**
 * Takes the request's place in its account's quota window on arrival. Only a request whose
 * token pair belongs to the client in its path counts (anything else is refused by auth
 * later and never reached the account's quota before either).
 */
function admitOnArrival(state: SimState, req: FastifyRequest, region: Region): boolean {
  const clientId = Number((req.params as Record<string, string>).clientId);
  const key = header(req, "accessTokenKey");
  const acc = state.accounts.find((a) => a.accessTokenKey === key && a.region === region);
  if (!acc || acc.clientId !== clientId || acc.accessTokenSecret !== header(req, "accessTokenSecret"))
    return true;
  return state.consumeQuota(clientId);
}

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;

export function makeHandler(state: SimState, def: RouteDef, region: Region) {
  const isWrite = def.method !== "GET";
  const endpoint = `${def.method} ${def.path}`;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    state.countRequest(endpoint, def.operationId);
    const admitted = admitOnArrival(state, req, region);
    const delay = state.latency();
    if (delay > 0) await sleep(delay);
    const pre = state.pickFault(endpoint, isWrite, false);
    if (pre) return sendFault(req, reply, pre, state.knobs.hangMs);
    try {
      const params = req.params as Record<string, string>;
      const account = authenticate(state, req, region, def.dialect);
      const clientId = authorizeClient(state, account, params.clientId ?? "", def.dialect);
      if (!admitted) throw new On24Error(state.knobs.quotaStatus, def.dialect.quota);
      const ctype = header(req, "content-type");
      if (isWrite && req.body !== undefined && !FORM_TYPES.test(ctype)) {
        // ON24 writes are form-encoded; a JSON body is an adapter bug worth surfacing loudly.
        throw new On24Error(
          415,
          "Content-Type must be application/x-www-form-urlencoded or multipart/form-data",
        );
      }
      const form = (req.body && typeof req.body === "object" ? req.body : {}) as Form;
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
        query[k.toLowerCase()] = String(Array.isArray(v) ? v[0] : v);
      }
      const ctx: RouteCtx = { state, account, clientId, region, params, query, form };
      const result = def.handler(ctx);
      const post = state.pickFault(endpoint, isWrite, true);
      if (post) return sendFault(req, reply, post, state.knobs.hangMs);
      reply
        .code(result.status ?? 200)
        .type("application/json")
        .send(result.body);
    } catch (err) {
      if (err instanceof On24Error) {
        if (err.detail) reply.header("x-sim-detail", err.detail);
        return sendError(reply, err.status, err.message);
      }
      throw err;
    }
  };
}

/** Reads a Y/N query switch; ON24 answers 400 with a per-parameter message on other values. */
export function yesNo(value: string | undefined, dflt: boolean, message: string): boolean {
  if (value === undefined || value === "") return dflt;
  const v = value.toUpperCase();
  if (v === "Y") return true;
  if (v === "N") return false;
  throw new On24Error(400, message);
}

export { field };
