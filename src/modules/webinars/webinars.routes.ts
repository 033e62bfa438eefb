import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, uuid } from "../../http/schemas.ts";
import type { EventService } from "../events/events.service.ts";
import type { ConfigurationService } from "./configurations.service.ts";
import type { WebinarService } from "./webinars.service.ts";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const webinarResponse = z.object({
  id: z.string(),
  eventId: z.string(),
  sessionId: z.string().nullable(),
  configurationId: z.string(),
  provider: z.string(),
  providerWebinarId: z.string().nullable(),
  joinUrl: z.string().nullable(),
  state: z.enum(["pending", "provisioned", "held", "failed", "deleting", "deleted"]),
  lastError: z.string().nullable(),
  lastMetricsAt: z.string().nullable(),
  /** The provider's recording or on-demand link, asked for with the attendance poll after the end. */
  recording: z
    .object({
      url: z.string(),
      kind: z.enum(["on_demand", "recording"]),
      availableUntil: z.string().nullable(),
      fetchedAt: z.string().nullable(),
    })
    .nullable(),
  stats: z.object({
    registered: z.number(),
    attendedLive: z.number(),
    watchedOnDemand: z.number(),
    noShow: z.number(),
    averageMinutes: z.number(),
    sync: z.object({ pending: z.number(), synced: z.number(), held: z.number(), failed: z.number() }),
  }),
});

export function webinarRoutes(
  app: FastifyInstance,
  deps: {
    webinars: WebinarService;
    events: EventService;
    configurations: Pick<ConfigurationService, "getRow">;
  },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { webinars, events } = deps;
  const tags = ["webinars"];

  r.get(
    "/api/v1/events/:id/webinars",
    {
      schema: {
        tags,
        summary:
          "The event's webinars (event-level and per session): provider state, join link, attendance aggregates, freshness",
        params: idParams,
        response: { 200: z.object({ data: z.array(webinarResponse) }), ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const orgId = callerOf(request).organizationId;
      await events.get(orgId, request.params.id);
      const rows = await webinars.forEvent(orgId, request.params.id);
      return {
        data: rows.map((w) => ({
          id: w.id,
          eventId: w.event_id,
          sessionId: w.session_id,
          configurationId: w.configuration_id,
          provider: w.provider,
          providerWebinarId: w.provider_webinar_id,
          joinUrl: w.join_url,
          state: w.state,
          lastError: w.last_error,
          lastMetricsAt: iso(w.last_metrics_at),
          recording:
            w.recording_url && w.recording_kind
              ? {
                  url: w.recording_url,
                  kind: w.recording_kind,
                  availableUntil: iso(w.recording_available_until),
                  fetchedAt: iso(w.recording_fetched_at),
                }
              : null,
          stats: {
            registered: w.stats?.registered ?? 0,
            attendedLive: w.stats?.attended_live ?? 0,
            watchedOnDemand: w.stats?.watched_on_demand ?? 0,
            noShow: w.stats?.no_show ?? 0,
            averageMinutes: Math.round((w.stats?.average_minutes ?? 0) * 10) / 10,
            sync: {
              pending: w.stats?.pending ?? 0,
              synced: w.stats?.synced ?? 0,
              held: w.stats?.held ?? 0,
              failed: w.stats?.failed ?? 0,
            },
          },
        })),
      };
    },
  );

  r.post(
    "/api/v1/webinars/:id/poll",
    {
      schema: {
        tags,
        summary: "Fetch attendance from the provider now",
        params: idParams,
        response: { 202: z.object({ queued: z.literal(true) }), ...errorResponses },
      },
      preValidation: requireRole("marketer"),
    },
    async (request, reply) => {
      await webinars.pollNow(callerOf(request).organizationId, request.params.id);
      return reply.code(202).send({ queued: true as const });
    },
  );

  const issue = z.object({
    id: z.string(),
    kind: z.enum(["registration", "webinar"]),
    webinarId: z.string(),
    state: z.string(),
    lastError: z.string().nullable(),
    attempts: z.number(),
    updatedAt: z.string(),
  });
  r.get(
    "/api/v1/webinar-configurations/:id/issues",
    {
      schema: {
        tags,
        summary: "Held and failed sync work for this account, with reasons",
        params: idParams,
        response: { 200: z.object({ data: z.array(issue) }), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const orgId = callerOf(request).organizationId;
      await deps.configurations.getRow(orgId, request.params.id);
      const { registrations, webinars: ws } = await webinars.issues(orgId, request.params.id);
      return {
        data: [
          ...ws.map((w) => ({
            id: w.id,
            kind: "webinar" as const,
            webinarId: w.id,
            state: w.state,
            lastError: w.last_error,
            attempts: w.attempts,
            updatedAt: w.updated_at.toISOString(),
          })),
          ...registrations.map((s) => ({
            id: s.registration_id,
            kind: "registration" as const,
            webinarId: s.webinar_id,
            state: s.state,
            lastError: s.last_error,
            attempts: s.attempts,
            updatedAt: s.updated_at.toISOString(),
          })),
        ],
      };
    },
  );

  r.post(
    "/api/v1/webinar-configurations/:id/replay",
    {
      schema: {
        tags,
        summary: "Send failed work to the provider again (all of it, or the given registrations)",
        params: idParams,
        body: z.strictObject({ registrationIds: z.array(uuid).max(10_000).optional() }).default({}),
        response: { 200: z.object({ registrations: z.number(), webinars: z.number() }), ...errorResponses },
      },
      config: { audit: "webinar_configuration.replayed" },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const orgId = callerOf(request).organizationId;
      await deps.configurations.getRow(orgId, request.params.id);
      return webinars.replay(orgId, request.params.id, request.body.registrationIds, request.audit);
    },
  );
}
