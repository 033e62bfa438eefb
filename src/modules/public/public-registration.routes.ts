import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { errorResponses } from "../../http/schemas.ts";
import { registrationCalendar } from "../../lib/calendar/calendar.ts";
import { instantToLocal } from "../../lib/time.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import type { PublicService } from "./public.service.ts";

const tokenParams = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, "is not a registration token"),
});

const confirmation = z.object({
  event: z.object({
    title: z.string(),
    slug: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    startsAtLocal: z.string(),
    endsAtLocal: z.string(),
    timeZone: z.string(),
    format: z.enum(["onsite", "webinar", "hybrid"]),
    status: z.enum(["draft", "published", "cancelled"]),
  }),
  registration: z.object({
    status: z.enum(["pending_confirmation", "registered", "waitlisted", "cancelled"]),
    createdAt: z.string(),
    firstName: z.string(),
  }),
  /** The first of joinLinks (kept for clients that show one link). */
  joinUrl: z.string().nullable(),
  /** One per webinar the registrant may attend: the event's own, or each webinar session's. */
  joinLinks: z.array(
    z.object({ sessionId: z.string().nullable(), sessionTitle: z.string().nullable(), joinUrl: z.string() }),
  ),
  calendarUrl: z.string(),
  cancelUrl: z.string(),
  /** What the QR code shows at the door (the registration id, which the check-in API takes); null unless registered. */
  checkInCode: z.string().nullable(),
});

/**
 * The registrant's own pages, reached with the secret from their confirmation (the
 * `cancelToken`): what they registered for, their join link, a calendar file, cancelling.
 * The secret travels in the path, so these routes do not write request log lines (the
 * request serializer logs paths); errors are still logged without it.
 */
export function publicRegistrationRoutes(
  app: FastifyInstance,
  deps: {
    publicPages: PublicService;
    registrations: Pick<RegistrationService, "cancelByToken">;
    onRequest: (request: FastifyRequest) => Promise<void>;
    /** The service's public URL: its host names every calendar UID. */
    publicUrl: string;
  },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { publicPages, registrations, onRequest } = deps;
  const uidDomain = new URL(deps.publicUrl).hostname;
  const tags = ["public"];
  const logLevel = "warn" as const;

  const byToken = (token: string) => publicPages.registrationByToken(token);
  const joinUrlOf = (reg: { id: string; status: string }) => publicPages.joinLink(reg);

  const base = (token: string) => `/api/v1/public/registrations/${token}`;

  r.get(
    "/api/v1/public/registrations/:token",
    {
      schema: {
        tags,
        security: [],
        summary:
          "The registrant's confirmation: event, status, join link (once the provider gave it), calendar and cancel links",
        params: tokenParams,
        response: { 200: confirmation, ...errorResponses },
      },
      onRequest,
      logLevel,
    },
    async (request) => {
      const reg = await byToken(request.params.token);
      const links = await publicPages.joinLinks(reg);
      return {
        event: {
          title: reg.title,
          slug: reg.slug,
          startsAt: reg.starts_at.toISOString(),
          endsAt: reg.ends_at.toISOString(),
          startsAtLocal: instantToLocal(reg.starts_at, reg.time_zone),
          endsAtLocal: instantToLocal(reg.ends_at, reg.time_zone),
          timeZone: reg.time_zone,
          format: reg.format,
          status: reg.event_status,
        },
        registration: {
          status: reg.status,
          createdAt: reg.created_at.toISOString(),
          firstName: reg.first_name,
        },
        joinUrl: links[0]?.joinUrl ?? null,
        joinLinks: links.map(({ sessionId, sessionTitle, joinUrl }) => ({
          sessionId,
          sessionTitle,
          joinUrl,
        })),
        calendarUrl: `${base(request.params.token)}/calendar.ics`,
        cancelUrl: `${base(request.params.token)}/cancel`,
        checkInCode: reg.status === "registered" ? reg.id : null,
      };
    },
  );

  r.get(
    "/api/v1/public/registrations/:token/calendar.ics",
    {
      schema: {
        tags,
        security: [],
        summary:
          "The registration as an RFC 5545 calendar file: stable UID, SEQUENCE up on every change, times in the event's zone, join link in the description",
        params: tokenParams,
        response: { 200: z.string(), ...errorResponses },
      },
      onRequest,
      logLevel,
    },
    async (request, reply) => {
      const reg = await byToken(request.params.token);
      const joinUrl = await joinUrlOf(reg);
      // The page the registrant came from, on the origin they reached us at.
      const origin = `${request.protocol}://${request.host}`;
      const body = registrationCalendar({
        registrationId: reg.id,
        registrationStatus: reg.status,
        event: {
          title: reg.title,
          description: reg.description,
          startsAt: reg.starts_at,
          endsAt: reg.ends_at,
          timeZone: reg.time_zone,
          status: reg.event_status,
          calendarSequence: reg.calendar_sequence,
        },
        joinUrl,
        pageUrl: `${origin}/e/${reg.slug}`,
        uidDomain,
      });
      return reply
        .type("text/calendar; charset=utf-8")
        .header("content-disposition", `attachment; filename="${reg.slug}.ics"`)
        .header("cache-control", "no-store")
        .send(body);
    },
  );

  r.get(
    "/api/v1/public/registrations/:token/join",
    {
      schema: {
        tags,
        security: [],
        summary:
          "The registrant's join link: redirects to the provider's link for this person once issued, else (none yet, or one per webinar session to choose from) to their page",
        params: tokenParams,
      },
      onRequest,
      logLevel,
    },
    async (request, reply) => {
      const reg = await byToken(request.params.token);
      const links = await publicPages.joinLinks(reg);
      // Not yet issued (or no webinar): the page says why and polls until it is. Several
      // webinar sessions (someone who chose none): the page lists each, for them to pick.
      const only = links.length === 1 ? links[0]?.joinUrl : undefined;
      const target = only ?? `/r/${request.params.token}`;
      return reply.header("cache-control", "no-store").redirect(target, 302);
    },
  );

  r.post(
    "/api/v1/public/registrations/:token/cancel",
    {
      schema: {
        tags,
        security: [],
        summary: "Cancel the registration this secret belongs to",
        params: tokenParams,
        response: { 200: z.object({ id: z.string(), status: z.literal("cancelled") }), ...errorResponses },
      },
      onRequest,
      logLevel,
    },
    async (request) => registrations.cancelByToken(request.params.token),
  );
}
