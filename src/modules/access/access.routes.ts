import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole, requireSession } from "../../http/auth.ts";
import { email, errorResponses, idParams, isoDate, line, role, uuid } from "../../http/schemas.ts";
import type { MemberService } from "./members.service.ts";
import type { SessionService } from "./sessions.service.ts";
import type { TokenService } from "./tokens.service.ts";

export const SESSION_COOKIE = "auditorium_session";

interface Deps {
  sessions: SessionService;
  members: MemberService;
  tokens: TokenService;
  secureCookies: boolean;
}

const password = z.string().min(12, "must be at least 12 characters").max(200);
const contactMatching = z.enum(["email", "name", "email_name"]);
const ok = z.object({ ok: z.literal(true) });
/** Shown in every email: fetched by the recipient's mail client, so only https. */
const logoUrl = z
  .string()
  .max(2000)
  .url("must be a URL")
  .refine((v) => v.startsWith("https://"), "must be an https:// URL");
const brandColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour like #2b4acb");

export function accessRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { sessions, members, tokens } = deps;

  function setSessionCookie(reply: FastifyReply, session: { token: string; maxAgeSeconds: number }) {
    reply.setCookie(SESSION_COOKIE, session.token, {
      path: "/",
      httpOnly: true,
      sameSite: "strict",
      secure: deps.secureCookies,
      maxAge: session.maxAgeSeconds,
    });
  }

  // The link printed on first start (and given to new members) opens here in a browser.
  r.get(
    "/auth/link",
    { schema: { hide: true, querystring: z.strictObject({ token: z.string().min(1).max(200) }) } },
    async (request, reply) => {
      setSessionCookie(reply, await sessions.signInWithLink(request.query.token));
      return reply.redirect("/");
    },
  );

  const tags = ["access"];
  r.post(
    "/api/v1/auth/link",
    {
      schema: {
        tags,
        summary: "Sign in with a one-time link token",
        body: z.strictObject({ token: z.string().min(1).max(200) }),
        response: { 200: ok, ...errorResponses },
      },
    },
    async (request, reply) => {
      setSessionCookie(reply, await sessions.signInWithLink(request.body.token));
      return { ok: true as const };
    },
  );

  r.post(
    "/api/v1/auth/login",
    {
      schema: {
        tags,
        summary: "Sign in with email and password",
        body: z.strictObject({ email, password: z.string().min(1).max(200) }),
        response: { 200: ok, ...errorResponses },
      },
    },
    async (request, reply) => {
      setSessionCookie(reply, await sessions.signInWithPassword(request.body.email, request.body.password));
      return { ok: true as const };
    },
  );

  r.post(
    "/api/v1/auth/logout",
    {
      schema: { tags, summary: "Sign out", response: { 200: ok, ...errorResponses } },
      preValidation: requireSession,
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (caller.sessionHash) await sessions.signOut(caller.sessionHash);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { ok: true as const };
    },
  );

  r.get(
    "/api/v1/me",
    {
      schema: {
        tags,
        summary: "The caller: user, current organization and role, all memberships",
        response: {
          200: z.object({
            user: z.object({ id: z.string(), email: z.string(), name: z.string(), hasPassword: z.boolean() }),
            organizationId: z.string(),
            role,
            organizations: z.array(z.object({ id: z.string(), name: z.string(), role })),
          }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => sessions.me(callerOf(request)),
  );

  r.put(
    "/api/v1/me/password",
    {
      schema: {
        tags,
        summary: "Set or change the caller's password",
        body: z.strictObject({ newPassword: password, currentPassword: z.string().max(200).optional() }),
        response: { 200: ok, ...errorResponses },
      },
      preValidation: requireSession,
    },
    async (request) => {
      await sessions.setPassword(callerOf(request), request.body.newPassword, request.body.currentPassword);
      return { ok: true as const };
    },
  );

  r.put(
    "/api/v1/me/organization",
    {
      schema: {
        tags,
        summary: "Switch the session to another organization the user belongs to",
        body: z.strictObject({ organizationId: uuid }),
        response: { 200: ok, ...errorResponses },
      },
      preValidation: requireSession,
    },
    async (request) => {
      await sessions.switchOrganization(callerOf(request), request.body.organizationId);
      return { ok: true as const };
    },
  );

  const organization = z.object({
    id: z.string(),
    name: z.string(),
    contactMatching,
    logoUrl: z.string().nullable(),
    brandColor: z.string().nullable(),
    createdAt: z.string(),
  });
  const toOrganization = (o: Awaited<ReturnType<MemberService["getOrganization"]>>) => ({
    id: o.id,
    name: o.name,
    contactMatching: o.contact_matching,
    logoUrl: o.logo_url,
    brandColor: o.brand_color,
    createdAt: o.created_at.toISOString(),
  });

  r.post(
    "/api/v1/organizations",
    {
      schema: {
        tags,
        summary: "Create another organization; the caller becomes its owner",
        body: z.strictObject({ name: line(200) }),
        response: { 201: organization, ...errorResponses },
      },
      preValidation: requireSession,
    },
    async (request, reply) => {
      const id = await members.createOrganization(callerOf(request).userId, request.body.name);
      return reply.code(201).send(toOrganization(await members.getOrganization(id)));
    },
  );

  r.get(
    "/api/v1/organization",
    {
      schema: {
        tags,
        summary: "The current organization",
        response: { 200: organization, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => toOrganization(await members.getOrganization(callerOf(request).organizationId)),
  );

  r.patch(
    "/api/v1/organization",
    {
      schema: {
        tags,
        summary: "Rename the organization, choose how registrants match contacts, or set the email branding",
        body: z.strictObject({
          name: line(200).optional(),
          contactMatching: contactMatching.optional(),
          logoUrl: logoUrl.nullable().optional(),
          brandColor: brandColor.nullable().optional(),
        }),
        response: { 200: organization, ...errorResponses },
      },
      config: { audit: "organization.updated" },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const orgId = callerOf(request).organizationId;
      await members.updateOrganization(orgId, request.body);
      return toOrganization(await members.getOrganization(orgId));
    },
  );

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

  r.post(
    "/api/v1/members",
    {
      schema: {
        tags,
        summary: "Add a member; a new user gets a one-time sign-in link",
        body: z.strictObject({ email, name: line(200), role }),
        response: {
          201: z.object({ userId: z.string(), signInUrl: z.string().nullable() }),
          ...errorResponses,
        },
      },
      config: { audit: "member.added" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => reply.code(201).send(await members.add(callerOf(request), request.body)),
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
      await members.changeRole(callerOf(request), request.params.id, request.body.role);
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
      await members.remove(callerOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  const apiToken = z.object({
    id: z.string(),
    name: z.string(),
    role,
    prefix: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  });
  const toApiToken = (t: Awaited<ReturnType<TokenService["list"]>>[number]) => ({
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: t.token_prefix,
    createdAt: t.created_at.toISOString(),
    lastUsedAt: isoDate(t.last_used_at),
    revokedAt: isoDate(t.revoked_at),
  });

  r.get(
    "/api/v1/api-tokens",
    {
      schema: {
        tags,
        summary: "API tokens (never their secret)",
        response: { 200: z.object({ data: z.array(apiToken) }), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => ({ data: (await tokens.list(callerOf(request).organizationId)).map(toApiToken) }),
  );

  r.post(
    "/api/v1/api-tokens",
    {
      schema: {
        tags,
        summary: "Create an API token; the token is shown in this response only",
        body: z.strictObject({ name: line(100), role }),
        response: { 201: apiToken.extend({ token: z.string() }), ...errorResponses },
      },
      config: { audit: "api_token.created" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      const created = await tokens.create(callerOf(request), request.body);
      return reply.code(201).send({ ...toApiToken(created), token: created.token });
    },
  );

  r.delete(
    "/api/v1/api-tokens/:id",
    {
      schema: {
        tags,
        summary: "Revoke an API token",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      config: { audit: "api_token.revoked" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      await tokens.revoke(callerOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
