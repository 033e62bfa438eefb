// Simulator control API under /_sim (not part of ON24). JSON in, JSON out; no auth.
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { On24Error } from "../messages.ts";
import { runWebinar } from "../run.ts";
import type { SimState } from "../state.ts";
import { sendDueReminders } from "./emails.ts";

const faultKind = z.enum([
  "500",
  "502",
  "503",
  "drop",
  "hang",
  "quota403",
  "429",
  "429-bare",
  "malformed",
  "truncated",
]);

export const knobsSchema = z
  .object({
    latencyMs: z.number().min(0),
    jitterMs: z.number().min(0),
    errorRate: z.number().min(0).max(1),
    faultAfterCommitRate: z.number().min(0).max(1),
    faultKinds: z.array(faultKind).min(1),
    faultAfterCommitKinds: z.array(faultKind),
    hangMs: z.number().int().min(0).max(600_000),
    quota: z.object({ limit: z.number().int().min(0), windowMs: z.number().int().positive() }).nullable(),
    quotaStatus: z.union([z.literal(403), z.literal(429)]),
    publicationLagMs: z.number().min(0),
    tokenIdleExpiryDays: z.number().min(0),
  })
  .partial()
  .strict();

const faultSchema = z.object({
  kind: faultKind,
  count: z.number().int().positive().default(1),
  afterCommit: z.boolean().default(false),
  endpoint: z.string().optional(),
});

const runSchema = z.object({
  seed: z.union([z.string(), z.number()]).optional(),
  attendanceRate: z.number().min(0).max(1).optional(),
  walkIns: z.number().int().min(0).max(1000).optional(),
});

const regfieldsSchema = z.array(
  z.object({
    fieldid: z.string(),
    fieldcaption: z.string(),
    fieldtype: z.string().default("textbox"),
    validationtype: z.string().default("none"),
    required: z.enum(["Y", "N"]),
    options: z.array(z.string()).optional(),
  }),
);

function fail(reply: FastifyReply, err: unknown) {
  if (err instanceof z.ZodError) return reply.code(400).send({ error: z.prettifyError(err) });
  if (err instanceof On24Error) return reply.code(err.status).send({ error: err.message });
  throw err;
}

/** Wraps a control handler so validation and lookup errors become 4xx JSON. */
function safe<T>(
  fn: (req: { body: unknown; params: Record<string, string>; query: Record<string, string> }) => T,
) {
  return async (req: { body: unknown; params: unknown; query: unknown }, reply: FastifyReply) => {
    try {
      return fn({
        body: req.body ?? {},
        params: req.params as Record<string, string>,
        query: req.query as Record<string, string>,
      });
    } catch (err) {
      return fail(reply, err);
    }
  };
}

export function registerControlRoutes(app: FastifyInstance, state: SimState): void {
  app.post(
    "/_sim/reset",
    safe(() => {
      state.reset();
      return { ok: true };
    }),
  );
  app.get("/_sim/knobs", async () => state.knobs);
  const setKnobs = safe(({ body }) => state.setKnobs(knobsSchema.parse(body)));
  app.patch("/_sim/knobs", setKnobs);
  app.put("/_sim/knobs", setKnobs);
  app.post(
    "/_sim/faults",
    safe(({ body }) => {
      const f = faultSchema.parse(body);
      for (let i = 0; i < f.count; i++) {
        state.scriptedFaults.push({ kind: f.kind, afterCommit: f.afterCommit, endpoint: f.endpoint });
      }
      return { queued: state.scriptedFaults.length };
    }),
  );
  app.delete(
    "/_sim/faults",
    safe(() => {
      state.scriptedFaults = [];
      return { queued: 0 };
    }),
  );
  app.get(
    "/_sim/registrants",
    safe(({ query }) => ({
      events: state.registrantReport(query.eventId ? Number(query.eventId) : undefined),
    })),
  );
  app.get(
    "/_sim/events/:eventId/registrants",
    safe(({ params }) => {
      const [report] = state.registrantReport(Number(params.eventId));
      if (!report) throw new On24Error(404, `Unknown event ${params.eventId}`);
      return report;
    }),
  );
  app.get("/_sim/requests", async () => state.requestReport());
  /** The emails ON24 would have sent registrants: confirmations, and reminders due by the clock. */
  app.get(
    "/_sim/emails",
    safe(() => {
      sendDueReminders(state);
      return state.sentEmails;
    }),
  );
  app.delete(
    "/_sim/requests",
    safe(() => {
      state.requestCounts.clear();
      state.operationCounts.clear();
      state.quotaRefused = 0;
      return state.requestReport();
    }),
  );
  app.post(
    "/_sim/events/:eventId/run",
    safe(({ params, body }) => runWebinar(state, Number(params.eventId), runSchema.parse(body))),
  );
  app.put(
    "/_sim/events/:eventId/regfields",
    safe(({ params, body }) => {
      const ev = state.events.get(Number(params.eventId));
      if (!ev) throw new On24Error(404, `Unknown event ${params.eventId}`);
      ev.regfields = regfieldsSchema.parse(body);
      return { registrationfields: ev.regfields };
    }),
  );
  for (const [action, active] of [
    ["deactivate", false],
    ["reactivate", true],
  ] as const) {
    app.post(
      `/_sim/tokens/:accessTokenKey/${action}`,
      safe(({ params }) => {
        const acc = state.setTokenActive(params.accessTokenKey ?? "", active);
        return { clientId: acc.clientId, active: acc.active };
      }),
    );
    app.post(
      `/_sim/clients/:clientId/${action}`,
      safe(({ params }) => {
        state.setClientActive(Number(params.clientId), active);
        return { clientId: Number(params.clientId), active };
      }),
    );
  }
  app.get("/_sim/clock", async () => ({
    now: new Date(state.now()).toISOString(),
    offsetMs: state.clockOffsetMs,
  }));
  app.post(
    "/_sim/clock/advance",
    safe(({ body }) => {
      const { ms } = z.object({ ms: z.number() }).parse(body);
      return { now: new Date(state.advanceClock(ms)).toISOString(), offsetMs: state.clockOffsetMs };
    }),
  );
}
