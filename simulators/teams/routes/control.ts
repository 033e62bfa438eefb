// Control API under /_sim (not Graph): knobs, counters, what the simulator holds, and actions that
// happen on Teams' side without us (a person registers or cancels, a session runs).
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { GraphError } from "../http.ts";
import type { TeamsSimState } from "../state.ts";
import { DEFAULT_KNOBS } from "../types.ts";
import { runSession } from "./attendance.ts";
import { addRegistration, cancelRegistration } from "./registrations.ts";
import { renderSubscription } from "./subscriptions.ts";

const knobsPatch = z
  .object({
    latencyMs: z.number().int().min(0),
    requestsPerSecond: z.number().int().positive().nullable(),
    faultRate: z.number().min(0).max(1),
    faultAfterCommitShare: z.number().min(0).max(1),
    tokenLifetimeSeconds: z.number().int().positive(),
    pageSize: z.number().int().positive(),
    duplicateEmail: z.enum(["create", "conflict"]),
    maxSubscriptionMinutes: z.number().int().positive(),
    autoConsent: z.boolean(),
    delegatedWritesOnly: z.boolean(),
    authCodeLifetimeSeconds: z.number().int().positive(),
  })
  .partial()
  .strict();

const runBody = z.object({
  attendees: z.array(
    z.object({
      email: z.string().min(3),
      minutes: z
        .number()
        .min(0)
        .max(24 * 60),
      intervals: z.number().int().min(1).max(20).optional(),
    }),
  ),
});

const personBody = z.object({
  email: z.string().min(3),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
});

function bad(reply: FastifyReply, error: z.ZodError) {
  const first = error.issues[0];
  return reply
    .code(400)
    .send({ error: `${first?.path.join(".") || "body"}: ${first?.message ?? "invalid"}` });
}

export function controlRoutes(app: FastifyInstance, state: TeamsSimState): void {
  const ev = (id: string) => {
    const e = state.events.get(id);
    if (!e) throw new GraphError(404, "NotFound", "No such event in the simulator.");
    return e;
  };

  app.get("/_sim/requests", async () => ({ total: state.requestCount }));
  app.get("/_sim/tokens", async () => ({
    issued: Object.fromEntries(state.tokensIssued),
    requests: Object.fromEntries(state.tokenRequests),
    refreshTokens: {
      live: [...state.refreshTokens.values()].filter((g) => !g.used).length,
      used: [...state.refreshTokens.values()].filter((g) => g.used).length,
    },
  }));
  app.get("/_sim/knobs", async () => state.knobs);
  app.post("/_sim/knobs", async (req, reply) => {
    const parsed = knobsPatch.safeParse(req.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    return state.setKnobs(parsed.data);
  });
  app.post("/_sim/knobs/reset", async () => state.setKnobs(DEFAULT_KNOBS));

  app.get("/_sim/webinars/:id", async (req) => {
    const e = state.events.get((req.params as { id: string }).id);
    return e
      ? { exists: e.status !== "canceled", status: e.status, collection: e.collection }
      : { exists: false };
  });
  // Which token created the event: the app alone, or a delegated one and its signed-in organizer.
  app.get("/_sim/webinars/:id/created-by", async (req) => {
    const e = ev((req.params as { id: string }).id);
    return { organizerUserId: e.organizerUserId, ...e.createdWith };
  });
  app.get("/_sim/webinars/:id/registrants", async (req) => {
    const e = ev((req.params as { id: string }).id);
    return e.registrations.map((r) => ({
      email: r.email,
      providerRegistrantId: r.id,
      status: r.status === "canceled" ? "cancelled" : "registered",
      createdCount: e.createdCount.get(r.email.toLowerCase()) ?? 0,
    }));
  });
  app.post("/_sim/webinars/:id/registrations", async (req, reply) => {
    const parsed = personBody.safeParse(req.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    const reg = addRegistration(state, ev((req.params as { id: string }).id), {
      ...parsed.data,
      preferredTimezone: "UTC",
      preferredLanguage: "en-us",
    });
    return { id: reg.id };
  });
  app.post("/_sim/webinars/:id/registrations/:rid/cancel", async (req) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const e = ev(id);
    const reg = e.registrations.find((r) => r.id === rid);
    if (!reg) throw new GraphError(404, "NotFound", "No such registration.");
    cancelRegistration(state, e, reg);
    return { ok: true };
  });
  app.post("/_sim/webinars/:id/run", async (req, reply) => {
    const parsed = runBody.safeParse(req.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    const report = runSession(state, ev((req.params as { id: string }).id), parsed.data.attendees);
    return {
      reportId: report.id,
      minutes: Object.fromEntries(
        report.records.map((r) => [r.emailAddress, r.totalAttendanceInSeconds / 60]),
      ),
    };
  });

  app.get("/_sim/subscriptions", async () => [...state.subscriptions.values()].map(renderSubscription));
  app.post("/_sim/subscriptions/:sid/expire", async (req) => {
    const sub = state.subscriptions.get((req.params as { sid: string }).sid);
    if (!sub) throw new GraphError(404, "NotFound", "No such subscription.");
    sub.expirationDateTime = new Date(Date.now() - 1);
    return { ok: true };
  });
  app.get("/_sim/notifications", async () => {
    await state.settled();
    return state.deliveries;
  });
}
