import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses } from "../../http/schemas.ts";
import type { RetentionService } from "./retention.service.ts";

/** A period in days (1 to 100 years), or null to keep forever. */
const days = z.number().int().min(1).max(36_500).nullable();

const settingsResponse = z.object({
  registrationsDays: days,
  attendanceDays: days,
  auditDays: days,
});

/** PUT replaces the settings: a field left out is null (keep forever). */
const settingsBody = z.strictObject({
  registrationsDays: days.optional(),
  attendanceDays: days.optional(),
  auditDays: days.optional(),
});

const sweepQuery = z.strictObject({
  dryRun: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});

const sweepResponse = z.object({
  dryRun: z.boolean(),
  registrations: z.number(),
  attendance: z.number(),
  checkIns: z.number(),
  auditEntries: z.number(),
  batches: z.number(),
});

/** Retention settings and the on-demand sweep; admin and owner only. */
export function retentionRoutes(app: FastifyInstance, deps: { retention: RetentionService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { retention } = deps;
  const tags = ["privacy"];

  r.get(
    "/api/v1/privacy/retention",
    {
      schema: {
        tags,
        summary: "Retention periods in days (null: kept forever, the default)",
        response: { 200: settingsResponse, ...errorResponses },
      },
      preValidation: requireRole("admin"),
    },
    async (request) => retention.getSettings(callerOf(request).organizationId),
  );

  r.put(
    "/api/v1/privacy/retention",
    {
      schema: {
        tags,
        summary:
          "Set the retention periods: registrations and attendance of events that ended more than N days ago, audit entries older than N days. Null or left out: kept forever",
        body: settingsBody,
        response: { 200: settingsResponse, ...errorResponses },
      },
      config: { audit: "privacy.retention_changed" },
      preValidation: requireRole("admin"),
    },
    async (request) =>
      retention.setSettings(
        callerOf(request).organizationId,
        {
          registrationsDays: request.body.registrationsDays ?? null,
          attendanceDays: request.body.attendanceDays ?? null,
          auditDays: request.body.auditDays ?? null,
        },
        request.audit,
      ),
  );

  r.post(
    "/api/v1/privacy/retention/sweep",
    {
      schema: {
        tags,
        summary:
          "Delete what has outlived the retention periods now (pending work is never touched); ?dryRun=true counts what would go without deleting",
        querystring: sweepQuery,
        response: { 200: sweepResponse, ...errorResponses },
      },
      config: { audit: "privacy.retention_sweep" },
      preValidation: requireRole("admin"),
    },
    async (request) =>
      retention.sweep(
        callerOf(request).organizationId,
        { dryRun: request.query.dryRun ?? false },
        request.audit,
      ),
  );
}
