import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { AppError } from "../lib/errors.ts";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Prometheus metrics on a registry per app instance (tests run several apps in one process).
 * `/metrics` exists only when the operator set a token, and answers only `Authorization:
 * Bearer <token>`: route names, status counts and process figures are reconnaissance for an
 * attacker. Compared as SHA-256 digests in constant time, so neither length nor prefix leaks.
 */
export function installMetrics(app: FastifyInstance, options: { token: string | undefined }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: "auditorium_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook("onResponse", async (request, reply) => {
    duration
      .labels(request.method, request.routeOptions.url ?? "unmatched", String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });
  if (options.token === undefined) return registry;
  const expected = digest(`Bearer ${options.token}`);
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    const presented = digest(request.headers.authorization ?? "");
    if (!timingSafeEqual(presented, expected))
      throw new AppError(401, "unauthenticated", "Present the metrics token as a bearer token");
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
  return registry;
}
