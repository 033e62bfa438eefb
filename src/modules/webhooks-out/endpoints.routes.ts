import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, isoDate, page, paginationQuery, uuid } from "../../http/schemas.ts";
import { decodeCursor, encodeCursor, toPage } from "../../lib/pagination.ts";
import {
  attemptDto,
  createBody,
  deliveryDto,
  endpointDto,
  patchBody,
  replayBody,
  toEndpointDto,
} from "./endpoints.schemas.ts";
import type { EndpointService } from "./endpoints.service.ts";
import { webhookIdOf } from "./signing.ts";

/**
 * Outgoing webhook endpoints (docs/webhooks-out.md). Admins only, like the organization's
 * other settings; each change is audited in its transaction. The signing secret is in the
 * answers that create it (create, rotate) and nowhere else.
 */
export function webhookEndpointRoutes(app: FastifyInstance, deps: { webhookEndpoints: EndpointService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.webhookEndpoints;
  const tags = ["webhooks-out"];
  const withSecret = endpointDto.extend({
    secret: z.string().describe("The signing secret (whsec_…). Shown once: store it now."),
  });

  r.post(
    "/api/v1/webhook-endpoints",
    {
      schema: {
        tags,
        summary: "Add an endpoint; the answer carries its signing secret, once",
        body: createBody,
        response: { 201: withSecret, ...errorResponses },
      },
      config: { audit: "webhook_endpoint.created" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      const { endpoint, secret } = await service.create(
        callerOf(request).organizationId,
        request.body,
        request.audit,
      );
      return reply.code(201).send({ ...toEndpointDto(endpoint), secret });
    },
  );

  r.get(
    "/api/v1/webhook-endpoints",
    {
      schema: {
        tags,
        summary: "The organization's endpoints, newest first",
        querystring: z.strictObject(paginationQuery),
        response: { 200: page(endpointDto), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await service.list(callerOf(request).organizationId, {
        before: decodeCursor(cursor),
        limit,
      });
      const { data, nextCursor } = toPage(rows, limit);
      return { data: data.map(toEndpointDto), nextCursor };
    },
  );

  r.get(
    "/api/v1/webhook-endpoints/:id",
    {
      schema: {
        tags,
        summary: "One endpoint",
        params: idParams,
        response: { 200: endpointDto, ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => toEndpointDto(await service.get(callerOf(request).organizationId, request.params.id)),
  );

  r.patch(
    "/api/v1/webhook-endpoints/:id",
    {
      schema: {
        tags,
        summary: "Change the URL, the event types or the description, or enable/disable",
        params: idParams,
        body: patchBody,
        response: { 200: endpointDto, ...errorResponses },
      },
      config: { audit: "webhook_endpoint.updated" },
      preValidation: requireRole("admin"),
    },
    async (request) =>
      toEndpointDto(
        await service.update(
          callerOf(request).organizationId,
          request.params.id,
          request.body,
          request.audit,
        ),
      ),
  );

  r.delete(
    "/api/v1/webhook-endpoints/:id",
    {
      schema: {
        tags,
        summary: "Delete an endpoint with its deliveries",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      config: { audit: "webhook_endpoint.deleted" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      await service.remove(callerOf(request).organizationId, request.params.id, request.audit);
      return reply.code(204).send(null);
    },
  );

  r.post(
    "/api/v1/webhook-endpoints/:id/rotate-secret",
    {
      schema: {
        tags,
        summary: "A new signing secret (shown once); the previous one keeps signing for the overlap",
        params: idParams,
        response: {
          200: z.object({ secret: z.string(), previousSecretExpiresAt: z.string().nullable() }),
          ...errorResponses,
        },
      },
      config: { audit: "webhook_endpoint.secret_rotated" },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const out = await service.rotateSecret(
        callerOf(request).organizationId,
        request.params.id,
        request.audit,
      );
      return { secret: out.secret, previousSecretExpiresAt: isoDate(out.previousSecretExpiresAt) };
    },
  );

  r.post(
    "/api/v1/webhook-endpoints/:id/replay",
    {
      schema: {
        tags,
        summary: "Send one message again, or every message of a time range the endpoint did not receive",
        params: idParams,
        body: replayBody,
        response: { 202: z.object({ replayed: z.number() }), ...errorResponses },
      },
      config: { audit: "webhook_endpoint.replayed" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      const body = request.body;
      const input =
        "messageId" in body
          ? { messageId: body.messageId }
          : { since: new Date(body.since), until: new Date(body.until) };
      const out = await service.replay(
        callerOf(request).organizationId,
        request.params.id,
        input,
        request.audit,
      );
      return reply.code(202).send(out);
    },
  );

  r.get(
    "/api/v1/webhook-endpoints/:id/deliveries",
    {
      schema: {
        tags,
        summary: "Messages for this endpoint and how their delivery stands, newest first",
        params: idParams,
        querystring: z.strictObject({
          ...paginationQuery,
          state: z.enum(["pending", "delivered", "failed"]).optional(),
        }),
        response: { 200: page(deliveryDto), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const { limit, cursor, state } = request.query;
      const rows = await service.deliveries(callerOf(request).organizationId, request.params.id, {
        before: decodeCursor(cursor),
        limit,
        state,
      });
      const data = rows.slice(0, limit).map((d) => ({
        messageId: d.id,
        webhookId: webhookIdOf(d.id),
        eventType: d.event_type,
        createdAt: d.created_at.toISOString(),
        state: d.state,
        attempts: d.attempts,
        lastStatus: d.last_status,
        lastError: d.last_error,
        nextAttemptAt: d.state === "pending" ? isoDate(d.next_attempt_at) : null,
        deliveredAt: isoDate(d.delivered_at),
      }));
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return { data, nextCursor: last ? encodeCursor(last.id) : null };
    },
  );

  r.get(
    "/api/v1/webhook-endpoints/:id/messages/:webhookMessageId/attempts",
    {
      schema: {
        tags,
        summary: "Every attempt to send one message to this endpoint, oldest first",
        params: z.strictObject({ id: uuid, webhookMessageId: uuid }),
        response: {
          200: z.object({
            messageId: z.string(),
            webhookId: z.string(),
            eventType: z.string(),
            payload: z.unknown(),
            attempts: z.array(attemptDto),
          }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const { message, attempts } = await service.attempts(
        callerOf(request).organizationId,
        request.params.id,
        request.params.webhookMessageId,
      );
      return {
        messageId: message.id,
        webhookId: webhookIdOf(message.id),
        eventType: message.event_type,
        payload: message.payload,
        attempts: attempts.map((a) => ({
          id: a.id,
          attemptedAt: a.attempted_at.toISOString(),
          status: a.status,
          durationMs: a.duration_ms,
          responseExcerpt: a.response_excerpt,
          error: a.error,
        })),
      };
    },
  );
}
