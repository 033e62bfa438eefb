import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Transaction } from "kysely";
import { z } from "zod";
import type { Database } from "../../db/schema.ts";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page, uuid } from "../../http/schemas.ts";
import type { EventSessionService } from "./event-sessions.service.ts";
import {
  createEventBody,
  createSessionBody,
  eventResponse,
  listEventsQuery,
  sessionResponse,
  updateEventBody,
  updateSessionBody,
} from "./events.schemas.ts";
import { type EventService, toEventDto, toSessionDto } from "./events.service.ts";

const sessionParams = z.strictObject({ id: uuid, sessionId: uuid });

export function eventRoutes(
  app: FastifyInstance,
  deps: {
    events: EventService;
    eventSessions: EventSessionService;
    /** Moves waitlisted registrations into free places; runs in the given transaction. */
    refill: (organizationId: string, eventId: string, trx: Transaction<Database>) => Promise<unknown>;
  },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { events, eventSessions } = deps;
  const tags = ["events"];
  const viewer = requireRole("viewer");
  const marketer = requireRole("marketer");

  r.get(
    "/api/v1/events",
    {
      schema: {
        tags,
        summary: "List events, newest first",
        querystring: listEventsQuery,
        response: { 200: page(eventResponse), ...errorResponses },
      },
      preValidation: viewer,
    },
    async (request) => {
      const result = await events.list(callerOf(request).organizationId, request.query);
      return { data: result.data.map(toEventDto), nextCursor: result.nextCursor };
    },
  );

  r.post(
    "/api/v1/events",
    {
      schema: {
        tags,
        summary: "Create an event (times with an offset, or wall-clock times in the event's time zone)",
        body: createEventBody,
        response: { 201: eventResponse, ...errorResponses },
      },
      preValidation: marketer,
    },
    async (request, reply) =>
      reply.code(201).send(toEventDto(await events.create(callerOf(request).organizationId, request.body))),
  );

  r.get(
    "/api/v1/events/:id",
    {
      schema: {
        tags,
        summary: "Get an event",
        params: idParams,
        response: { 200: eventResponse, ...errorResponses },
      },
      preValidation: viewer,
    },
    async (request) => toEventDto(await events.get(callerOf(request).organizationId, request.params.id)),
  );

  r.patch(
    "/api/v1/events/:id",
    {
      schema: {
        tags,
        summary: "Change an event",
        params: idParams,
        body: updateEventBody,
        response: { 200: eventResponse, ...errorResponses },
      },
      preValidation: marketer,
    },
    async (request) => {
      const organizationId = callerOf(request).organizationId;
      // A larger capacity lets waitlisted registrants in, inside the update's transaction.
      const updated = await events.update(organizationId, request.params.id, request.body, (trx, event) =>
        deps.refill(organizationId, event.id, trx),
      );
      return toEventDto(updated);
    },
  );

  r.delete(
    "/api/v1/events/:id",
    {
      schema: {
        tags,
        summary: "Delete a draft event",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      preValidation: marketer,
    },
    async (request, reply) => {
      await events.remove(callerOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  for (const [action, status] of [
    ["publish", "published"],
    ["unpublish", "draft"],
    ["cancel", "cancelled"],
  ] as const) {
    r.post(
      `/api/v1/events/:id/${action}`,
      {
        schema: {
          tags,
          summary: `Set the event's status to ${status}`,
          params: idParams,
          response: { 200: eventResponse, ...errorResponses },
        },
        preValidation: marketer,
      },
      async (request) =>
        toEventDto(await events.setStatus(callerOf(request).organizationId, request.params.id, status)),
    );
  }

  r.get(
    "/api/v1/events/:id/sessions",
    {
      schema: {
        tags,
        summary: "Sessions of an event, by start time",
        params: idParams,
        response: { 200: z.object({ data: z.array(sessionResponse) }), ...errorResponses },
      },
      preValidation: viewer,
    },
    async (request) => {
      const { event, rows } = await eventSessions.listSessions(
        callerOf(request).organizationId,
        request.params.id,
      );
      return { data: rows.map((s) => toSessionDto(s, event)) };
    },
  );

  r.post(
    "/api/v1/events/:id/sessions",
    {
      schema: {
        tags,
        summary: "Add a session",
        params: idParams,
        body: createSessionBody,
        response: { 201: sessionResponse, ...errorResponses },
      },
      preValidation: marketer,
    },
    async (request, reply) => {
      const { event, row } = await eventSessions.createSession(
        callerOf(request).organizationId,
        request.params.id,
        request.body,
      );
      return reply.code(201).send(toSessionDto(row, event));
    },
  );

  r.get(
    "/api/v1/events/:id/sessions/:sessionId",
    {
      schema: {
        tags,
        summary: "Get a session",
        params: sessionParams,
        response: { 200: sessionResponse, ...errorResponses },
      },
      preValidation: viewer,
    },
    async (request) => {
      const orgId = callerOf(request).organizationId;
      const event = await events.get(orgId, request.params.id);
      return toSessionDto(
        await eventSessions.getSession(orgId, request.params.id, request.params.sessionId),
        event,
      );
    },
  );

  r.patch(
    "/api/v1/events/:id/sessions/:sessionId",
    {
      schema: {
        tags,
        summary: "Change a session",
        params: sessionParams,
        body: updateSessionBody,
        response: { 200: sessionResponse, ...errorResponses },
      },
      preValidation: marketer,
    },
    async (request) => {
      const { event, row } = await eventSessions.updateSession(
        callerOf(request).organizationId,
        request.params.id,
        request.params.sessionId,
        request.body,
      );
      return toSessionDto(row, event);
    },
  );

  r.delete(
    "/api/v1/events/:id/sessions/:sessionId",
    {
      schema: {
        tags,
        summary: "Delete a session",
        params: sessionParams,
        response: { 204: z.null(), ...errorResponses },
      },
      preValidation: marketer,
    },
    async (request, reply) => {
      await eventSessions.removeSession(
        callerOf(request).organizationId,
        request.params.id,
        request.params.sessionId,
      );
      return reply.code(204).send(null);
    },
  );
}
