import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditDetails } from "../../db/schema-audit.ts";
import { type AuditService, actorOf } from "./audit.service.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The audit action a successful call of this route records, e.g.
     * "webinar_configuration.credentials_removed". Declared on every admin mutation.
     */
    audit?: string;
  }
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Body fields whose values are enumerations, safe to keep; every other value is dropped. */
const SAFE_VALUES = new Set(["role", "version", "contactMatching", "provider"]);

const routesByApp = new WeakMap<FastifyInstance, Map<string, string>>();

/** `"DELETE /api/v1/members/{id}" → "member.removed"` for every route that declares an action. */
export function auditedRoutes(app: FastifyInstance): ReadonlyMap<string, string> {
  return routesByApp.get(app) ?? new Map();
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * What changed, by name: the body's top-level field names, the credential field names set
 * (`fieldsSet`), and the values of enumerations only. Never free text, emails or secrets.
 */
export function auditDetails(body: unknown): AuditDetails {
  if (!isRecord(body)) return {};
  const details: AuditDetails = {};
  const fields = Object.keys(body)
    .filter((k) => k !== "credentials" && body[k] !== undefined)
    .sort();
  if (fields.length) details.fields = fields;
  if (isRecord(body.credentials)) details.fieldsSet = Object.keys(body.credentials).sort();
  for (const key of SAFE_VALUES) {
    const value = body[key];
    if (typeof value === "string" && value.length <= 40) details[key] = value;
  }
  return details;
}

/** The target: the route's `:id`, else the id of what the call created (`id` / `userId`). */
function targetOf(request: FastifyRequest, payload: unknown): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  if (typeof params?.id === "string") return params.id;
  if (typeof payload !== "string" || !payload.startsWith("{")) return null;
  try {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    const id = parsed.id ?? parsed.userId;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

/**
 * Records one audit entry for each successful (2xx) mutating call of a route that declares
 * `config: { audit: "<action>" }` — the admin mutations. The entry is written in `onSend`:
 * after the handler's change has committed and before the response leaves, so a client that
 * has its answer finds the entry. A failed write is logged and does not fail the call (the
 * change has already happened). Call before the routes are registered.
 */
export function installAuditTrail(app: FastifyInstance, deps: { audit: AuditService }) {
  const routes = new Map<string, string>();
  routesByApp.set(app, routes);
  const recorded = new WeakSet<FastifyRequest>();

  app.addHook("onRoute", (route) => {
    const action = route.config?.audit;
    if (!action) return;
    for (const method of [route.method].flat())
      if (MUTATING.has(method)) routes.set(`${method} ${route.url.replace(/:(\w+)/g, "{$1}")}`, action);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const action = request.routeOptions.config?.audit;
    const caller = request.caller;
    if (!action || !caller || !MUTATING.has(request.method)) return payload;
    if (reply.statusCode < 200 || reply.statusCode >= 300 || recorded.has(request)) return payload;
    recorded.add(request);
    try {
      await deps.audit.record(deps.audit.db, {
        organizationId: caller.organizationId,
        actor: actorOf(caller),
        action,
        targetId: targetOf(request, payload),
        details: auditDetails(request.body),
        requestId: request.id,
      });
    } catch (error) {
      request.log.error({ err: error, action }, "audit entry could not be written");
    }
    return payload;
  });
}
