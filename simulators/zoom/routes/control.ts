// Simulator control API under /_sim (not part of Zoom), JSON in and out, no auth; plus the OAuth
// token endpoint, which lives on zoom.us rather than api.zoom.us.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { runWebinar } from "../run.ts";
import type { ZoomSimState } from "../state.ts";

const knobsSchema = z
  .object({
    tokenLifetimeSeconds: z.number().int().positive(),
    invalidatePreviousTokens: z.boolean(),
    latencyMs: z.number().min(0),
    jitterMs: z.number().min(0),
    faultRate: z.number().min(0).max(1),
    faultAfterCommitRate: z.number().min(0).max(1),
    faultKinds: z.array(z.enum(["500", "502", "reset"])).min(1),
    rateLimits: z
      .object({
        light: z.number().int().positive().nullable(),
        medium: z.number().int().positive().nullable(),
        heavy: z.number().int().positive().nullable(),
      })
      .partial(),
    registrantDailyCap: z.number().int().min(0),
    registrantStatusDailyCap: z.number().int().min(0),
    duplicateRegistrants: z.boolean(),
  })
  .partial()
  .strict();

const runSchema = z.object({
  seed: z.union([z.string(), z.number()]).optional(),
  attendees: z
    .array(
      z.object({
        email: z.string().min(3),
        minutes: z.number().min(0),
        segments: z.number().int().min(1).max(50).optional(),
        name: z.string().optional(),
      }),
    )
    .optional(),
});

const webhookSchema = z.object({ url: z.url(), secretToken: z.string().min(1) });

function bad(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ error: z.prettifyError(error) });
}

/** POST /oauth/token?grant_type=account_credentials&account_id=… with Basic client_id:client_secret. */
function token(state: ZoomSimState) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    state.countRequest("POST /oauth/token");
    const form = typeof req.body === "string" ? Object.fromEntries(new URLSearchParams(req.body)) : {};
    const q = { ...form, ...(req.query as Record<string, string>) };
    if (q.grant_type !== "account_credentials") {
      return reply.code(400).send({ reason: "unsupported grant type", error: "unsupported_grant_type" });
    }
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const [clientId, ...rest] = Buffer.from(basic, "base64").toString("utf8").split(":");
    const app = state.accounts.find((a) => a.clientId === clientId && a.clientSecret === rest.join(":"));
    if (!app)
      return reply.code(400).send({ reason: "Invalid client_id or client_secret", error: "invalid_client" });
    if (app.accountId !== q.account_id) {
      return reply
        .code(400)
        .send({ reason: "Invalid request : Invalid account_id", error: "invalid_request" });
    }
    const issued = state.issueToken(app.accountId);
    return reply.send({
      access_token: issued.token,
      token_type: "bearer",
      expires_in: issued.expiresIn,
      scope: "webinar:write:admin webinar:read:admin report:read:admin",
      api_url: "https://api.zoom.us",
    });
  };
}

export function registerControlRoutes(app: FastifyInstance, state: ZoomSimState): void {
  app.post("/oauth/token", token(state));
  app.post("/_sim/reset", async () => {
    state.reset();
    return { ok: true };
  });
  app.get("/_sim/knobs", async () => state.knobs);
  app.patch("/_sim/knobs", async (req, reply) => {
    const parsed = knobsSchema.safeParse(req.body);
    if (!parsed.success) return bad(reply, parsed.error);
    return state.setKnobs(parsed.data);
  });
  app.get("/_sim/requests", async () => state.requests);
  app.delete("/_sim/requests", async () => {
    state.requests = { total: 0, byEndpoint: {}, faulted: 0 };
    return state.requests;
  });
  app.post("/_sim/tokens/expire", async () => {
    state.expireAllTokens();
    return { ok: true };
  });
  app.post("/_sim/clock/advance", async (req, reply) => {
    const parsed = z.object({ ms: z.number().int().min(0) }).safeParse(req.body);
    if (!parsed.success) return bad(reply, parsed.error);
    state.advanceClock(parsed.data.ms);
    return { now: new Date(state.now()).toISOString() };
  });
  app.get("/_sim/webinars/:id", async (req) => {
    const w = state.webinars.get(Number((req.params as { id: string }).id));
    return {
      exists: !!w && !w.deleted,
      deleted: w?.deleted ?? false,
      type: w?.type ?? null,
      topic: w?.topic ?? null,
    };
  });
  /** The emails Zoom would have sent registrants (only while the webinar's switches are on). */
  app.get("/_sim/emails", async () => {
    state.sendDueReminders();
    return state.sentEmails;
  });
  app.get("/_sim/webinars/:id/registrants", async (req, reply) => {
    const w = state.webinars.get(Number((req.params as { id: string }).id));
    if (!w) return reply.code(404).send({ error: "no such webinar" });
    return w.registrants.map((r) => ({
      email: r.email,
      providerRegistrantId: r.id,
      status: r.cancelled ? "cancelled" : "registered",
      createdCount: r.createdCount,
      joinUrl: r.joinUrl,
      customQuestions: r.customQuestions,
    }));
  });
  app.post("/_sim/webinars/:id/run", async (req, reply) => {
    const w = state.webinars.get(Number((req.params as { id: string }).id));
    if (!w) return reply.code(404).send({ error: "no such webinar" });
    const parsed = runSchema.safeParse(req.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    const minutes = runWebinar(state, w, parsed.data);
    return { minutes: Object.fromEntries(minutes), segments: w.report.length };
  });
  app.put("/_sim/webhook", async (req, reply) => {
    const parsed = webhookSchema.safeParse(req.body);
    if (!parsed.success) return bad(reply, parsed.error);
    state.webhook = parsed.data;
    return { validated: await state.hooks.validate() };
  });
  app.delete("/_sim/webhook", async () => {
    state.webhook = null;
    return { ok: true };
  });
  app.get("/_sim/webhook/deliveries", async () => {
    await state.hooks.settle();
    return state.hooks.deliveries;
  });
}
