import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page } from "../../http/schemas.ts";
import { eraseQuery, erasureResponse } from "../privacy/privacy.routes.ts";
import type { PrivacyService } from "../privacy/privacy.service.ts";
import { contactResponse, listContactsQuery, personInput, updateContactBody } from "./contacts.schemas.ts";
import { type ContactService, toContactDto } from "./contacts.service.ts";

export function contactRoutes(
  app: FastifyInstance,
  deps: { contacts: ContactService; privacy: PrivacyService },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { contacts, privacy } = deps;
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

  r.delete(
    "/api/v1/contacts/:id",
    {
      schema: {
        tags,
        summary:
          "Erase the contact's person: every local trace of every contact with the same address goes at once, and each provider account that received them is told to forget them (tracked as the returned erasure)",
        params: idParams,
        querystring: eraseQuery,
        response: { 202: erasureResponse, ...errorResponses },
      },
      // Irreversible and organization-wide (it reaches the provider accounts): admin and owner only.
      preValidation: requireRole("admin"),
      config: { audit: "contact.erased" },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const erasure = await privacy.eraseContact(
        caller.organizationId,
        request.params.id,
        {
          requestedBy: caller.userId,
          blockReimport: request.query.blockReimport,
        },
        request.audit,
      );
      return reply.code(202).send(erasure);
    },
  );
}
