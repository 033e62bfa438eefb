import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Db } from "../../db/database.ts";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page } from "../../http/schemas.ts";
import { idempotent } from "../../lib/idempotency.ts";
import {
  createRegistrationBody,
  idempotencyHeaders,
  listRegistrationsQuery,
  registrationResponse,
} from "./registrations.schemas.ts";
import type { RegistrationService } from "./registrations.service.ts";

export function registrationRoutes(
  app: FastifyInstance,
  deps: { registrations: RegistrationService; db: Db },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { registrations, db } = deps;
  const tags = ["registrations"];

  r.get(
    "/api/v1/events/:id/registrations",
    {
      schema: {
        tags,
        summary: "Registrations of an event in registration order; q searches email and name",
        params: idParams,
        querystring: listRegistrationsQuery,
        response: { 200: page(registrationResponse), ...errorResponses },
      },
      preHandler: requireRole("viewer"),
    },
    async (request) => registrations.list(callerOf(request).organizationId, request.params.id, request.query),
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
      preHandler: requireRole("marketer"),
    },
    async (request, reply) => {
      const organizationId = callerOf(request).organizationId;
      const eventId = request.params.id;
      const input = { ...request.body, source: "api" as const };
      const key = request.headers["idempotency-key"];
      if (key === undefined) {
        const { registration } = await registrations.register(organizationId, eventId, input);
        return reply.code(201).send(registration);
      }
      const result = await idempotent(
        db,
        { organizationId, scope: `POST /events/${eventId}/registrations`, key, body: request.body },
        async (trx) => ({
          statusCode: 201,
          body: (await registrations.registerIn(trx, organizationId, eventId, input)).registration,
        }),
      );
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
      preHandler: requireRole("viewer"),
    },
    async (request) => registrations.load(callerOf(request).organizationId, request.params.id),
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
      preHandler: requireRole("marketer"),
    },
    async (request) => registrations.cancel(callerOf(request).organizationId, request.params.id),
  );
}
