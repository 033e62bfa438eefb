import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, isoDate, page, paginationQuery, uuid } from "../../http/schemas.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import type { EmailService } from "./email.service.ts";

const state = z.enum(["queued", "deferred", "sent", "failed", "kept"]);

const summary = z.object({
  id: z.string(),
  kind: z.string(),
  language: z.enum(["en", "nb"]),
  recipient: z.string(),
  subject: z.string(),
  state,
  attempts: z.number(),
  lastError: z.string().nullable(),
  serverMessageId: z.string().nullable(),
  registrationId: z.string().nullable(),
  userId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sentAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});

type Row = Awaited<ReturnType<EmailService["list"]>>[number];
const toSummary = (m: Row) => ({
  id: m.id,
  kind: m.kind,
  language: m.language,
  recipient: m.recipient,
  subject: m.subject,
  state: m.state,
  attempts: m.attempts,
  lastError: m.last_error,
  serverMessageId: m.server_message_id,
  registrationId: m.registration_id,
  userId: m.user_id,
  createdAt: m.created_at.toISOString(),
  updatedAt: m.updated_at.toISOString(),
  sentAt: isoDate(m.sent_at),
  nextAttemptAt: isoDate(m.next_attempt_at),
});

/**
 * The outbox, read-only: what was sent to whom and how it went, and each message as its
 * recipient sees it. Messages hold personal data and invitation links, so admins only; secret
 * links are masked (email.service.ts `hidden`).
 */
export function emailRoutes(app: FastifyInstance, deps: { email: EmailService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { email } = deps;
  const tags = ["email"];

  r.get(
    "/api/v1/email/messages",
    {
      schema: {
        tags,
        summary: "Email messages of the organization, newest first",
        querystring: z.strictObject({
          ...paginationQuery,
          registrationId: uuid.optional(),
          userId: uuid.optional(),
          state: state.optional(),
        }),
        response: {
          200: page(summary).extend({ delivery: z.enum(["smtp", "kept"]) }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const { limit, cursor, registrationId, userId, state } = request.query;
      const rows = await email.list({
        organizationId: callerOf(request).organizationId,
        registrationId,
        userId,
        state,
        before: decodeCursor(cursor),
        limit,
      });
      const { data, nextCursor } = toPage(rows, limit);
      return { data: data.map(toSummary), nextCursor, delivery: email.delivery };
    },
  );

  r.get(
    "/api/v1/email/messages/:id",
    {
      schema: {
        tags,
        summary: "One message with its HTML and plain text, secret links masked",
        params: idParams,
        response: {
          200: summary.extend({
            html: z.string(),
            text: z.string(),
            headers: z.record(z.string(), z.string()),
            attachments: z.array(z.object({ filename: z.string(), contentType: z.string() })),
          }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const m = await email.get(callerOf(request).organizationId, request.params.id);
      return {
        ...toSummary(m),
        html: m.html,
        text: m.text_body,
        headers: m.headers,
        attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType })),
      };
    },
  );
}
