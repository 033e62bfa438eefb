import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { WebinarReconciliationRow } from "../../db/schema-webinars.ts";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams } from "../../http/schemas.ts";
import type { ReconciliationService } from "./reconciliations.service.ts";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** One run and its drift; the counts are null until the run is done. */
export const reconciliationResponse = z.object({
  id: z.string(),
  webinarId: z.string(),
  trigger: z.enum(["schedule", "api"]),
  state: z.enum(["queued", "running", "done", "deferred", "failed", "unsupported", "skipped"]),
  reason: z.string().nullable(),
  requestedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  provider: z.object({ registered: z.number().nullable(), cancelled: z.number().nullable() }),
  drift: z.object({
    theirsMissingHere: z.number().nullable(),
    addedHere: z.number().nullable(),
    cancelledHere: z.number().nullable(),
    oursMissingThere: z.number().nullable(),
    oursMissingThereSynced: z.number().nullable(),
    oursMissingThereIds: z.array(z.string()),
    addedHereIds: z.array(z.string()),
    cancelledHereIds: z.array(z.string()),
  }),
});

export function reconciliationView(r: WebinarReconciliationRow): z.infer<typeof reconciliationResponse> {
  return {
    id: r.id,
    webinarId: r.webinar_id,
    trigger: r.trigger,
    state: r.state,
    reason: r.reason,
    requestedAt: r.requested_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    provider: { registered: r.provider_registered, cancelled: r.provider_cancelled },
    drift: {
      theirsMissingHere: r.theirs_missing_here,
      addedHere: r.added_here,
      cancelledHere: r.cancelled_here,
      oursMissingThere: r.ours_missing_there,
      oursMissingThereSynced: r.ours_missing_there_synced,
      oursMissingThereIds: r.details.oursMissingThere ?? [],
      addedHereIds: r.details.addedHere ?? [],
      cancelledHereIds: r.details.cancelledHere ?? [],
    },
  };
}

export function reconciliationRoutes(app: FastifyInstance, deps: { reconciliations: ReconciliationService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { reconciliations } = deps;
  const tags = ["webinars"];

  r.post(
    "/api/v1/webinars/:id/reconcile",
    {
      schema: {
        tags,
        summary:
          "Reconcile with the provider now: registrations and cancellations made there come back, drift is counted both ways",
        params: idParams,
        response: { 202: reconciliationResponse, ...errorResponses },
      },
      preValidation: requireRole("marketer"),
    },
    async (request, reply) => {
      const run = await reconciliations.requestNow(callerOf(request).organizationId, request.params.id);
      return reply.code(202).send(reconciliationView(run));
    },
  );

  r.get(
    "/api/v1/webinars/:id/reconciliations",
    {
      schema: {
        tags,
        summary: "The webinar's latest reconciliation runs (newest first) with the drift each found",
        params: idParams,
        response: { 200: z.object({ data: z.array(reconciliationResponse) }), ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const rows = await reconciliations.list(callerOf(request).organizationId, request.params.id);
      return { data: rows.map(reconciliationView) };
    },
  );
}
