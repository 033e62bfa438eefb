import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditDetails } from "../../db/schema-audit.ts";
import { type AuditService, type AuditWrite, actorOf } from "./audit.service.ts";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * Writes this call's audit entry in the transaction given: routes that declare an audit
     * action pass it to the service, which calls it inside the transaction of its change.
     * A no-op on routes without an action.
     */
    audit: AuditWrite;
  }
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

/**
 * Gives every request of a route that declares `config: { audit: "<action>" }` (the admin
 * mutations) a `request.audit` that writes its entry — actor, action, target, field names,
 * request id — in the transaction the service passes it. The entry commits with the change or
 * not at all: a crash or a failed change leaves neither, a committed change always has its
 * entry. A successful (2xx) audited call whose service did not write the entry is logged as
 * an error (a route not passing `request.audit` on; test/api/audit.test.ts checks every
 * route). Call before the routes are registered.
 */
export function installAuditTrail(app: FastifyInstance, deps: { audit: AuditService }) {
  const routes = new Map<string, string>();
  routesByApp.set(app, routes);
  const recorded = new WeakSet<FastifyRequest>();
  const nothing: AuditWrite = async () => {};

  app.decorateRequest("audit", nothing);

  app.addHook("onRoute", (route) => {
    const action = route.config?.audit;
    if (!action) return;
    for (const method of [route.method].flat())
      if (MUTATING.has(method)) routes.set(`${method} ${route.url.replace(/:(\w+)/g, "{$1}")}`, action);
  });

  app.addHook("preHandler", async (request) => {
    const action = request.routeOptions.config?.audit;
    if (!action || !MUTATING.has(request.method)) return;
    request.audit = async (trx, targetId) => {
      const caller = request.caller;
      if (!caller) return;
      const params = request.params as Record<string, unknown> | undefined;
      await deps.audit.record(trx, {
        organizationId: caller.organizationId,
        actor: actorOf(caller),
        action,
        targetId: targetId ?? (typeof params?.id === "string" ? params.id : null),
        details: auditDetails(request.body),
        requestId: request.id,
      });
      recorded.add(request);
    };
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const action = request.routeOptions.config?.audit;
    if (!action || !request.caller || !MUTATING.has(request.method)) return payload;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && !recorded.has(request))
      request.log.error({ action }, "audited change answered without its audit entry");
    return payload;
  });
}
