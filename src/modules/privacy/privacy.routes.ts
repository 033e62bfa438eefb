import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page, paginationQuery } from "../../http/schemas.ts";
import { type AuditService, actorOf } from "../audit/audit.service.ts";
import { csvLines, guardCell } from "../imports/imports.csv.ts";
import type { PersonExport, PrivacyService } from "./privacy.service.ts";

const providerErasure = z.object({
  id: z.string(),
  configurationId: z.string(),
  configurationName: z.string().nullable(),
  provider: z.string(),
  state: z.enum(["pending", "done", "failed"]),
  attempts: z.number(),
  lastError: z.string().nullable(),
  retainedByProvider: z
    .array(z.string())
    .describe(
      "What the provider still keeps of the person after the erasure: data its API cannot delete (attendance reports, Graph's cancelled registration) and webinars where it refused. Filled when the erasure is done.",
    ),
  lastAttemptAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  createdAt: z.string(),
});

/** An erasure as the API shows it: state per provider account, never personal data. */
export const erasureResponse = z.object({
  id: z.string(),
  state: z.enum(["pending", "done", "failed"]),
  requestedBy: z.string().nullable(),
  reimportBlocked: z.boolean(),
  contactsErased: z.number(),
  registrationsErased: z.number(),
  createdAt: z.string(),
  providers: z.array(providerErasure),
});

export const eraseQuery = z.strictObject({
  /** Keep a salted hash of the address so it cannot be imported again; default: the organization's setting. */
  blockReimport: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});

const exportQuery = z.strictObject({ format: z.enum(["json", "csv"]).default("json") });

/**
 * Privacy routes: erasing a contact's person (`DELETE /api/v1/contacts/:id`, listed with the
 * contacts), erasure status and the access export. Admin and owner only: an export is
 * everything about a person, and erasures tell who was erased when.
 */
export function privacyRoutes(
  app: FastifyInstance,
  deps: { privacy: PrivacyService; audit: Pick<AuditService, "recordNow"> },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { privacy } = deps;
  const tags = ["privacy"];

  r.get(
    "/api/v1/erasures",
    {
      schema: {
        tags,
        summary: "Erasures, newest first, with their state at each provider account",
        querystring: z.strictObject(paginationQuery),
        response: { 200: page(erasureResponse), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => privacy.listErasures(callerOf(request).organizationId, request.query),
  );

  r.get(
    "/api/v1/erasures/:id",
    {
      schema: {
        tags,
        summary: "One erasure: state, attempts and last error per provider account",
        params: idParams,
        response: { 200: erasureResponse, ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => privacy.getErasure(callerOf(request).organizationId, request.params.id),
  );

  r.get(
    "/api/v1/contacts/:id/export",
    {
      schema: {
        tags,
        summary:
          "Everything held about the contact's person (every contact with the same address): registrations, sessions, check-ins, attendance, consent, and which providers received what and when. ?format=csv for flat CSV",
        params: idParams,
        querystring: exportQuery,
        response: { 200: z.unknown(), ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const data = await privacy.exportContact(caller.organizationId, request.params.id);
      // An export is a read, so the mutation trail does not see it; it is recorded here.
      await deps.audit.recordNow({
        organizationId: caller.organizationId,
        actor: actorOf(caller),
        action: "contact.exported",
        targetId: request.params.id,
        details: { format: request.query.format ?? "json" },
        requestId: request.id,
      });
      reply.header("cache-control", "no-store");
      if (request.query.format === "csv") {
        return reply
          .type("text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="contact-${request.params.id}.csv"`)
          .send(toCsv(data));
      }
      return data;
    },
  );

  r.delete(
    "/api/v1/contacts/:id",
    {
      schema: {
        tags: ["contacts"],
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
        { requestedBy: caller.userId, blockReimport: request.query.blockReimport },
        request.audit,
      );
      return reply.code(202).send(erasure);
    },
  );
}

/** One line per value: record type, record id, field, value (nested objects flattened with dots). */
export function toCsv(data: PersonExport): string {
  const rows: (string | number | null)[][] = [["record", "id", "field", "value"]];
  const emit = (record: string, id: string, value: unknown, prefix = "") => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) emit(record, id, v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== "object" || v === null)) {
        rows.push([record, id, prefix, guardCell(value.join(";"))]);
        return;
      }
      for (const [i, v] of value.entries()) emit(record, id, v, `${prefix}[${i}]`);
      return;
    }
    rows.push([record, id, prefix, guardCell(value === null || value === undefined ? "" : String(value))]);
  };
  emit("export", "", { exportedAt: data.exportedAt, email: data.email });
  for (const c of data.contacts) emit("contact", c.id, c);
  for (const r of data.registrations) emit("registration", r.id, r);
  for (const c of data.checkIns) emit("check_in", c.id, c);
  for (const a of data.attendance) emit("attendance", `${a.registrationId}/${a.webinarId}`, a);
  for (const p of data.providers) emit("provider", `${p.registrationId}/${p.webinarId}`, p);
  return csvLines(rows);
}
