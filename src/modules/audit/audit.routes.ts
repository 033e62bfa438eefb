import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, page, paginationQuery, uuid } from "../../http/schemas.ts";
import type { AuditService } from "./audit.service.ts";

const auditEntry = z.object({
  id: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  actor: z.object({
    kind: z.enum(["user", "token", "system"]),
    userId: z.string().nullable(),
    tokenId: z.string().nullable(),
  }),
  /** Names and enumerations only (e.g. `{ "fieldsSet": ["accessTokenKey"] }`), never values. */
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  createdAt: z.string(),
});

const listQuery = z.strictObject({
  ...paginationQuery,
  action: z
    .string()
    .max(100)
    .regex(/^[a-z_.]+$/, "must be an action name")
    .optional(),
  actorUserId: uuid.optional(),
  targetId: z.string().max(200).optional(),
  /** Entries at or after this instant (ISO 8601 with offset). */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Entries before this instant. */
  until: z.iso.datetime({ offset: true }).optional(),
});

export function auditRoutes(app: FastifyInstance, deps: { audit: AuditService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/v1/audit",
    {
      schema: {
        tags: ["audit"],
        summary: "The organization's audit log, newest first (admin mutations: who, what, when)",
        querystring: listQuery,
        response: { 200: page(auditEntry), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const result = await deps.audit.list(callerOf(request).organizationId, request.query);
      return {
        data: result.data.map((e) => ({
          id: e.id,
          action: e.action,
          targetType: e.target_type,
          targetId: e.target_id,
          actor: { kind: e.actor_kind, userId: e.actor_user_id, tokenId: e.actor_token_id },
          details: e.details,
          requestId: e.request_id,
          createdAt: e.created_at.toISOString(),
        })),
        nextCursor: result.nextCursor,
      };
    },
  );
}
