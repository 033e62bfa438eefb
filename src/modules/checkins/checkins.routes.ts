import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page } from "../../http/schemas.ts";
import {
  checkInCountsResponse,
  checkInResponse,
  createCheckInBody,
  listCheckInsQuery,
} from "./checkins.schemas.ts";
import type { CheckInService } from "./checkins.service.ts";

export function checkInRoutes(app: FastifyInstance, deps: { checkIns: CheckInService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { checkIns } = deps;
  const tags = ["check-ins"];

  r.post(
    "/api/v1/events/:id/check-ins",
    {
      schema: {
        tags,
        summary:
          "Check a registered person in on site (to the event, or to one session). Repeating a scan answers 200 with the first check-in.",
        params: idParams,
        body: createCheckInBody,
        response: { 200: checkInResponse, 201: checkInResponse, ...errorResponses },
      },
      preHandler: requireRole("marketer"),
    },
    async (request, reply) => {
      const { checkIn, created } = await checkIns.checkIn(
        callerOf(request).organizationId,
        request.params.id,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(checkIn);
    },
  );

  r.get(
    "/api/v1/events/:id/check-ins",
    {
      schema: {
        tags,
        summary: "Check-ins of an event, newest first",
        params: idParams,
        querystring: listCheckInsQuery,
        response: { 200: page(checkInResponse), ...errorResponses },
      },
      preHandler: requireRole("viewer"),
    },
    async (request) => checkIns.list(callerOf(request).organizationId, request.params.id, request.query),
  );

  r.get(
    "/api/v1/events/:id/check-ins/counts",
    {
      schema: {
        tags,
        summary:
          "The door's live counts: registrations checked in to the event on site, and registrations with status registered",
        params: idParams,
        response: { 200: checkInCountsResponse, ...errorResponses },
      },
      preHandler: requireRole("viewer"),
    },
    async (request) => checkIns.counts(callerOf(request).organizationId, request.params.id),
  );

  r.delete(
    "/api/v1/check-ins/:id",
    {
      schema: {
        tags,
        summary: "Undo a mistaken check-in",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      preHandler: requireRole("marketer"),
    },
    async (request, reply) => {
      await checkIns.remove(callerOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
