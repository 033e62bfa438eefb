import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { email, errorResponses, idParams, line, role } from "../../http/schemas.ts";
import type { MemberService } from "./members.service.ts";

const ok = z.object({ ok: z.literal(true) });
export const language = z.enum(["en", "nb"]);

/** Members of the organization, and the invitations that make them. */
export function memberRoutes(app: FastifyInstance, deps: { members: MemberService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { members } = deps;
  const tags = ["access"];

  const member = z.object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role,
    createdAt: z.string(),
  });
  r.get(
    "/api/v1/members",
    {
      schema: {
        tags,
        summary: "Members of the organization",
        response: { 200: z.object({ data: z.array(member) }), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => ({
      data: (await members.list(callerOf(request).organizationId)).map((m) => ({
        id: m.id,
        email: m.email,
        name: m.name,
        role: m.role,
        createdAt: m.created_at.toISOString(),
      })),
    }),
  );

  const invitation = z.object({ id: z.string(), email: z.string(), role, expiresAt: z.string() });
  r.post(
    "/api/v1/members",
    {
      schema: {
        tags,
        summary:
          "Invite a member: the link goes by email to the invitee only; the membership exists once they accept",
        body: z.strictObject({ email, name: line(200), role, language: language.optional() }),
        response: { 202: invitation, ...errorResponses },
      },
      config: { audit: "member.invited" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      const created = await members.invite(callerOf(request), request.body, request.audit);
      return reply.code(202).send({ ...created, expiresAt: created.expiresAt.toISOString() });
    },
  );

  r.get(
    "/api/v1/members/invitations",
    {
      schema: {
        tags,
        summary: "Invitations not accepted yet (never their link)",
        response: {
          200: z.object({ data: z.array(invitation.extend({ name: z.string(), createdAt: z.string() })) }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => ({
      data: (await members.listInvitations(callerOf(request).organizationId)).map((i) => ({
        id: i.id,
        email: i.email,
        name: i.name,
        role: i.role,
        createdAt: i.created_at.toISOString(),
        expiresAt: i.expires_at.toISOString(),
      })),
    }),
  );

  r.delete(
    "/api/v1/members/invitations/:id",
    {
      schema: {
        tags,
        summary: "Withdraw an invitation; its link stops working",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      config: { audit: "member.invitation_withdrawn" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      await members.revokeInvitation(callerOf(request).organizationId, request.params.id, request.audit);
      return reply.code(204).send(null);
    },
  );

  r.patch(
    "/api/v1/members/:id",
    {
      schema: {
        tags,
        summary: "Change a member's role",
        params: idParams,
        body: z.strictObject({ role }),
        response: { 200: ok, ...errorResponses },
      },
      config: { audit: "member.role_changed" },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      await members.changeRole(callerOf(request), request.params.id, request.body.role, request.audit);
      return { ok: true as const };
    },
  );

  r.delete(
    "/api/v1/members/:id",
    {
      schema: {
        tags,
        summary: "Remove a member",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      config: { audit: "member.removed" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      await members.remove(callerOf(request), request.params.id, request.audit);
      return reply.code(204).send(null);
    },
  );
}
