import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page } from "../../http/schemas.ts";
import { contactResponse, listContactsQuery, personInput, updateContactBody } from "./contacts.schemas.ts";
import { type ContactService, toContactDto } from "./contacts.service.ts";

export function contactRoutes(app: FastifyInstance, deps: { contacts: ContactService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { contacts } = deps;
  const tags = ["contacts"];

  r.get(
    "/api/v1/contacts",
    {
      schema: {
        tags,
        summary: "List contacts, newest first; q searches email and name",
        querystring: listContactsQuery,
        response: { 200: page(contactResponse), ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const result = await contacts.list(callerOf(request).organizationId, request.query);
      return { data: result.data.map(toContactDto), nextCursor: result.nextCursor };
    },
  );

  r.post(
    "/api/v1/contacts",
    {
      schema: {
        tags,
        summary: "Create a contact",
        body: personInput,
        response: { 201: contactResponse, ...errorResponses },
      },
      preValidation: requireRole("marketer"),
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(toContactDto(await contacts.create(callerOf(request).organizationId, request.body))),
  );

  r.get(
    "/api/v1/contacts/:id",
    {
      schema: {
        tags,
        summary: "Get a contact",
        params: idParams,
        response: { 200: contactResponse, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => toContactDto(await contacts.get(callerOf(request).organizationId, request.params.id)),
  );

  r.patch(
    "/api/v1/contacts/:id",
    {
      schema: {
        tags,
        summary: "Change a contact",
        params: idParams,
        body: updateContactBody,
        response: { 200: contactResponse, ...errorResponses },
      },
      preValidation: requireRole("marketer"),
    },
    async (request) =>
      toContactDto(await contacts.update(callerOf(request).organizationId, request.params.id, request.body)),
  );
}
