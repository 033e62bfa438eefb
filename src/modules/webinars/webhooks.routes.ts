import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams } from "../../http/schemas.ts";
import type { ConfigurationService } from "./configurations.service.ts";
import type { WebhookReceiver } from "./webhooks/receiver.ts";
import type { WebinarService } from "./webinars.service.ts";

/** Provider payloads are small JSON documents; a megabyte leaves room for batched notifications. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * Provider webhooks (Zoom, Microsoft Graph change notifications, the open contract):
 * `POST /webhooks/{configurationId}`, outside /api/v1 — the provider authenticates by
 * signature or clientState, checked by the adapter over the raw bytes, not by our API
 * tokens. Hidden from the OpenAPI document (it is not part of our API; docs/webhooks.md
 * describes it). Also `GET /api/v1/webinar-configurations/{id}/subscriptions`: the state of
 * each change-notification subscription, so a failing renewal is visible.
 */
export function webhookRoutes(
  app: FastifyInstance,
  deps: {
    webhookReceiver: WebhookReceiver;
    configurations: Pick<ConfigurationService, "getRow">;
    webinars: Pick<WebinarService, "subscriptionsOf">;
  },
) {
  const { webhookReceiver: receive, configurations, webinars } = deps;

  // Encapsulated: its own parser keeps every body as the exact bytes (signatures are over them).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: WEBHOOK_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.post<{ Params: { configurationId: string } }>(
      "/webhooks/:configurationId",
      { schema: { hide: true }, bodyLimit: WEBHOOK_BODY_LIMIT },
      async (request, reply) => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(request.headers))
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
        const query: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(request.query as Record<string, unknown>))
          query[name] = Array.isArray(value)
            ? String(value[0])
            : typeof value === "string"
              ? value
              : undefined;
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const answer = await receive(request.params.configurationId, { headers, query, rawBody }, request.ip);
        return reply.code(answer.status).type(answer.contentType).send(answer.body);
      },
    );
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/v1/webinar-configurations/:id/subscriptions",
    {
      schema: {
        tags: ["webinars"],
        summary:
          "Change-notification subscriptions of the configuration's webinars: state, expiry, last error",
        params: idParams,
        response: {
          200: z.object({
            data: z.array(
              z.object({
                webinarId: z.string(),
                state: z.enum(["pending", "active", "held", "failed", "ended"]),
                expiresAt: z.string().nullable(),
                renewedAt: z.string().nullable(),
                attempts: z.number(),
                lastError: z.string().nullable(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const orgId = callerOf(request).organizationId;
      await configurations.getRow(orgId, request.params.id);
      const rows = await webinars.subscriptionsOf(orgId, request.params.id);
      return {
        data: rows.map((s) => ({
          webinarId: s.webinar_id,
          state: s.state,
          expiresAt: s.expires_at?.toISOString() ?? null,
          renewedAt: s.renewed_at?.toISOString() ?? null,
          attempts: s.attempts,
          lastError: s.last_error,
        })),
      };
    },
  );
}
