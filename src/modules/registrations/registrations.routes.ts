import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Selectable } from "kysely";
import { z } from "zod";
import type { Database } from "../../db/schema.ts";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page } from "../../http/schemas.ts";
import { parseCampaign } from "./campaign.ts";
import {
  createRegistrationBody,
  idempotencyHeaders,
  listRegistrationsQuery,
  registrationResponse,
} from "./registrations.schemas.ts";
import type { RegistrationService } from "./registrations.service.ts";

type SyncRow = Selectable<Database["registration_syncs"]>;
type AttendanceRow = Selectable<Database["attendance"]>;
/** A registration's state at one webinar, with its attendance once there is some. */
type WebinarState = Pick<
  SyncRow,
  "registration_id" | "webinar_id" | "state" | "join_url" | "last_error" | "attempts" | "synced_at"
> & {
  [K in Exclude<keyof AttendanceRow, "registration_id" | "webinar_id" | "organization_id" | "updated_at">]:
    | AttendanceRow[K]
    | null;
};
/** The webinar module's view of registrations, handed in by the composition root (no import of it here). */
export interface WebinarStates {
  syncStates(registrationIds: string[]): Promise<WebinarState[]>;
}

export function registrationRoutes(
  app: FastifyInstance,
  deps: { registrations: RegistrationService; webinars: WebinarStates },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { registrations } = deps;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);

  /** Adds each registration's webinar sync state and attendance, and its results over all webinars. */
  async function withWebinar<T extends { id: string }>(organizationId: string, dtos: T[]) {
    const ids = dtos.map((d) => d.id);
    const [rows, results] = await Promise.all([
      deps.webinars.syncStates(ids),
      registrations.results(organizationId, ids),
    ]);
    return dtos.map((d) => ({
      ...d,
      results: results.get(d.id),
      webinar: rows
        .filter((w) => w.registration_id === d.id)
        .map((w) => ({
          webinarId: w.webinar_id,
          state: w.state,
          joinUrl: w.join_url,
          lastError: w.last_error,
          syncedAt: iso(w.synced_at),
          liveMinutes: w.live_minutes,
          onDemandMinutes: w.on_demand_minutes,
          engagementScore: w.engagement_score,
          questionsAsked: w.questions_asked,
          pollsAnswered: w.polls_answered,
          resourcesDownloaded: w.resources_downloaded,
          firstActivityAt: iso(w.first_activity_at),
          lastActivityAt: iso(w.last_activity_at),
        })),
    }));
  }
  const tags = ["registrations"];

  r.get(
    "/api/v1/events/:id/registrations",
    {
      schema: {
        tags,
        summary:
          "Registrations of an event: filter by status, webinar sync state, attendance; q searches email and name; sort with keyset pages; total counts the filter",
        params: idParams,
        querystring: listRegistrationsQuery,
        response: { 200: page(registrationResponse).extend({ total: z.number().int() }), ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const organizationId = callerOf(request).organizationId;
      const result = await registrations.list(organizationId, request.params.id, request.query);
      return { ...result, data: await withWebinar(organizationId, result.data) };
    },
  );

  r.post(
    "/api/v1/events/:id/registrations",
    {
      schema: {
        tags,
        summary:
          "Register a contact (by id, or by details matched with the organization's rule). Waitlisted when the event is full. An Idempotency-Key replays the first response.",
        params: idParams,
        headers: idempotencyHeaders,
        body: createRegistrationBody,
        response: { 201: registrationResponse, ...errorResponses },
      },
      // Past this process's capacity: 503 with Retry-After at once (src/http/admission.ts).
      config: { admission: true },
      preValidation: requireRole("marketer"),
    },
    async (request, reply) => {
      const organizationId = callerOf(request).organizationId;
      const eventId = request.params.id;
      const input = {
        ...request.body,
        campaign: parseCampaign(request.body.campaign),
        source: "api" as const,
      };
      const key = request.headers["idempotency-key"];
      // Group commit: registrations arriving together share a transaction (intake-batch.ts).
      const result = await registrations.intake({
        organizationId,
        eventId,
        input,
        idempotency: key === undefined ? undefined : { key, body: request.body },
      });
      if (result.replayed) reply.header("idempotent-replayed", "true");
      return reply.code(result.statusCode as 201).send(result.body as never);
    },
  );

  r.get(
    "/api/v1/registrations/:id",
    {
      schema: {
        tags,
        summary: "Get a registration",
        params: idParams,
        response: { 200: registrationResponse, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const organizationId = callerOf(request).organizationId;
      return (
        await withWebinar(organizationId, [await registrations.load(organizationId, request.params.id)])
      )[0];
    },
  );

  r.post(
    "/api/v1/registrations/:id/cancel",
    {
      schema: {
        tags,
        summary: "Cancel a registration; the oldest waitlisted registration takes the place",
        params: idParams,
        response: { 200: registrationResponse, ...errorResponses },
      },
      preValidation: requireRole("marketer"),
    },
    async (request) => {
      const organizationId = callerOf(request).organizationId;
      return (
        await withWebinar(organizationId, [await registrations.cancel(organizationId, request.params.id)])
      )[0];
    },
  );
}
