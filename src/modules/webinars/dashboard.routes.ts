import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, uuid } from "../../http/schemas.ts";
import type { DashboardService } from "./dashboard.service.ts";

const count = z.number().int();
const dashboardResponse = z.object({
  eventId: z.string(),
  sessionId: z.string().nullable(),
  timeZone: z.string(),
  webinars: z.array(
    z.object({
      id: z.string(),
      provider: z.string(),
      state: z.string(),
      lastMetricsAt: z.string().nullable(),
    }),
  ),
  registrationsOverTime: z.array(z.object({ date: z.string(), count, cumulative: count })),
  funnel: z.object({ registered: count, attendedLive: count, watchedOnDemand: count, noShow: count }),
  minutesHistogram: z.array(z.object({ fromMinutes: count, toMinutes: count.nullable(), count })),
  liveVsOnDemand: z.object({
    liveMinutes: count,
    onDemandMinutes: count,
    liveViewers: count,
    onDemandViewers: count,
  }),
  topAttendees: z.array(
    z.object({
      registrationId: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      email: z.string(),
      minutes: count,
      engagementScore: z.number().nullable(),
    }),
  ),
  /** Registrations and attendance per campaign channel (utm_source, utm_medium); "direct" when none. */
  byChannel: z.array(
    z.object({
      source: z.string(),
      medium: z.string().nullable(),
      registered: count,
      attended: count,
      noShow: count,
      liveMinutes: count,
      onDemandMinutes: count,
    }),
  ),
  interactions: z.object({ questionsAsked: count, pollsAnswered: count, resourcesDownloaded: count }),
  freshness: z.object({
    registrations: z.string(),
    attendance: z.string().nullable(),
    computedAt: z.string(),
  }),
});

/** The webinar dashboard's numbers per event and per session (issue 6; docs/web-app-api.md). */
export function dashboardRoutes(app: FastifyInstance, services: { dashboard: DashboardService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { dashboard } = services;

  r.get(
    "/api/v1/events/:id/webinar-dashboard",
    {
      schema: {
        tags: ["webinars"],
        summary:
          "Webinar dashboard of an event (or one session): registrations over time, funnel, minutes histogram, live vs on demand, top attendees, registrations and attendance by channel, interactions, freshness",
        params: idParams,
        querystring: z.strictObject({ sessionId: uuid.optional() }),
        response: { 200: dashboardResponse, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) =>
      dashboard.forEvent(callerOf(request).organizationId, request.params.id, request.query.sessionId),
  );
}
