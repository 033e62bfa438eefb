import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams } from "../../http/schemas.ts";
import {
  CONSENT_CALLBACK_PATH,
  CONSENT_TTL_MS,
  type OrganizerConsentService,
} from "./organizer-consent.service.ts";

/**
 * The consent's browser binding: set when the admin starts, read by the callback only. SameSite
 * Lax because the callback is a top-level navigation from Microsoft's sign-in (another site),
 * where the Strict sign-in cookie is not sent.
 */
export const CONSENT_COOKIE = "auditorium_consent";

const callbackQuery = z.object({
  state: z.string().min(1).max(200),
  code: z.string().min(1).max(4000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
  session_state: z.string().max(200).optional(),
});

/** Connect (and disconnect) a Teams configuration's organizer: OAuth 2.0 code + PKCE at Microsoft. */
export function organizerConsentRoutes(
  app: FastifyInstance,
  deps: { organizerConsent: OrganizerConsentService; secureCookies: boolean },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { organizerConsent } = deps;
  const tags = ["webinar settings"];

  r.post(
    "/api/v1/webinar-configurations/:id/organizer-consent",
    {
      schema: {
        tags,
        summary:
          "Start connecting the Teams organizer: answers the Microsoft sign-in URL to send the admin's browser to",
        params: idParams,
        response: {
          201: z.object({ authorizeUrl: z.string(), expiresInSeconds: z.number() }),
          ...errorResponses,
        },
      },
      config: { audit: "webinar_configuration.organizer_consent_started" },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      const started = await organizerConsent.start(callerOf(request), request.params.id, request.audit);
      reply.setCookie(CONSENT_COOKIE, started.binding, {
        path: CONSENT_CALLBACK_PATH,
        httpOnly: true,
        sameSite: "lax",
        secure: deps.secureCookies,
        maxAge: CONSENT_TTL_MS / 1000,
      });
      return reply
        .code(201)
        .send({ authorizeUrl: started.authorizeUrl, expiresInSeconds: started.expiresInSeconds });
    },
  );

  r.delete(
    "/api/v1/webinar-configurations/:id/organizer",
    {
      schema: {
        tags,
        summary: "Forget the connected Teams organizer (webinar writes go app-only again)",
        params: idParams,
        response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses },
      },
      config: { audit: "webinar_configuration.organizer_disconnected" },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      await organizerConsent.disconnect(callerOf(request), request.params.id, request.audit);
      return { ok: true as const };
    },
  );

  // Microsoft sends the browser here. No sign-in cookie is needed (Strict cookies do not come
  // with a cross-site navigation): the state, the binding cookie and the stored session decide.
  r.get(
    CONSENT_CALLBACK_PATH,
    { schema: { hide: true, querystring: callbackQuery } },
    async (request, reply) => {
      const q = request.query;
      const done = await organizerConsent.complete({
        state: q.state,
        code: q.code,
        error: q.error,
        binding: request.cookies[CONSENT_COOKIE],
        requestId: String(request.id),
      });
      reply.clearCookie(CONSENT_COOKIE, { path: CONSENT_CALLBACK_PATH });
      const back = new URLSearchParams({ organizer: done.outcome, configuration: done.configurationId });
      return reply.redirect(`/settings/webinars?${back}`, 303);
    },
  );
}
