// Control API under /_sim (not part of the contract): JSON in, JSON out, no auth. Lets tests
// and demos look inside (registrants per webinar with how many records each e-mail has, request
// counts, webhook deliveries), turn knobs, and play what happens at the service: a webinar runs,
// a person registers or cancels directly there.
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { ApiError, registrationOut, webinarOut } from "./render.ts";
import { cancelRegistration, parseInput, registerPerson, registrationInput } from "./routes.ts";
import { type Attendee, type ContractState, emailKey } from "./state.ts";
import { emit } from "./webhooks.ts";

const knobsSchema = z
  .strictObject({
    latencyMs: z.number().min(0).max(60_000),
    faultBeforeCommitRate: z.number().min(0).max(1),
    faultAfterCommitRate: z.number().min(0).max(1),
    rateLimit: z
      .strictObject({ limit: z.number().int().min(0), windowMs: z.number().int().positive() })
      .nullable(),
    rateLimitCode: z.enum(["rate_limited", "quota_exceeded"]),
    tokenTtlSeconds: z.number().int().positive(),
    idempotentByEmail: z.boolean(),
  })
  .partial();

const runSchema = z.strictObject({
  attendees: z
    .array(
      z.strictObject({
        email: z.email(),
        minutes: z
          .number()
          .int()
          .min(0)
          .max(24 * 60),
        onDemandMinutes: z
          .number()
          .int()
          .min(0)
          .max(24 * 60)
          .default(0),
      }),
    )
    .max(100_000),
});

function fail(reply: FastifyReply, err: unknown) {
  if (err instanceof ApiError) return reply.code(err.status).send(err.body());
  throw err;
}

/** Records each attendee's viewing: one live interval from the start, optionally one on-demand interval after the end. */
function runWebinar(state: ContractState, webinarId: string, body: z.infer<typeof runSchema>) {
  const w = state.webinars.get(webinarId);
  if (!w || w.deleted) throw new ApiError(404, "not_found", "webinar not found");
  const regs = state.registrationsOf(webinarId);
  const attendees = state.attendeesOf(webinarId);
  const start = Date.parse(w.startsAt);
  const end = Date.parse(w.endsAt);
  for (const a of body.attendees) {
    const reg = regs.findLast((r) => emailKey(r.email) === emailKey(a.email) && r.status === "registered");
    let rec = attendees.find((x) => emailKey(x.email) === emailKey(a.email));
    if (!rec) {
      const seq = state.nextSeq();
      rec = {
        seq,
        attendeeId: `att_${seq}`,
        registrationId: reg?.id ?? null,
        email: reg?.email ?? a.email,
        firstName: reg?.firstName ?? null,
        lastName: reg?.lastName ?? null,
        company: reg?.company ?? null,
        jobTitle: reg?.jobTitle ?? null,
        liveSeconds: 0,
        onDemandSeconds: 0,
        intervals: [],
        engagement: { score: null, questionsAsked: 0, pollsAnswered: 0, resourcesDownloaded: 0 },
      } satisfies Attendee;
      attendees.push(rec);
    }
    rec.liveSeconds = Math.round(a.minutes * 60);
    rec.onDemandSeconds = Math.round(a.onDemandMinutes * 60);
    rec.intervals = [
      ...(a.minutes > 0
        ? [
            {
              mode: "live" as const,
              joinedAt: new Date(start).toISOString(),
              leftAt: new Date(start + rec.liveSeconds * 1000).toISOString(),
            },
          ]
        : []),
      ...(a.onDemandMinutes > 0
        ? [
            {
              mode: "on_demand" as const,
              joinedAt: new Date(end + 3600_000).toISOString(),
              leftAt: new Date(end + 3600_000 + rec.onDemandSeconds * 1000).toISOString(),
            },
          ]
        : []),
    ];
    const engaged = a.minutes + a.onDemandMinutes;
    rec.engagement = {
      score: engaged > 0 ? Math.min(100, Math.round(engaged * 1.5 + state.rng() * 10)) : null,
      questionsAsked: Math.floor(state.rng() * 3),
      pollsAnswered: Math.floor(state.rng() * 4),
      resourcesDownloaded: Math.floor(state.rng() * 2),
    };
  }
  w.status = "ended";
  emit(state, "attendance.updated", webinarId, { attendees: attendees.length });
  // Whole minutes as the contract tells consumers to count them: round(seconds / 60).
  return attendees.map((a) => ({
    email: a.email,
    liveSeconds: a.liveSeconds,
    onDemandSeconds: a.onDemandSeconds,
    liveMinutes: Math.round(a.liveSeconds / 60),
    onDemandMinutes: Math.round(a.onDemandSeconds / 60),
  }));
}

export function registerControlRoutes(app: FastifyInstance, state: ContractState): void {
  app.get("/_sim/requests", async () => state.requests);

  app.post("/_sim/knobs", async (req, reply) => {
    const parsed = knobsSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({ error: { code: "invalid_request", message: parsed.error.message } });
    state.setKnobs(parsed.data as Partial<typeof state.knobs>);
    return state.knobs;
  });

  app.post("/_sim/webhooks", async (req, reply) => {
    const parsed = z
      .strictObject({ url: z.url(), secret: z.string().min(1) })
      .nullable()
      .safeParse(req.body ?? null);
    if (!parsed.success)
      return reply.code(400).send({ error: { code: "invalid_request", message: parsed.error.message } });
    state.webhook = parsed.data;
    return { ok: true };
  });
  app.get("/_sim/webhooks/deliveries", async () => ({ data: state.deliveries }));

  app.post("/_sim/tokens/revoke", async () => {
    const revoked = state.tokens.size;
    state.tokens.clear();
    return { revoked };
  });

  app.get("/_sim/webinars", async () => ({
    data: [...state.webinars.values()].map((w) => ({ ...webinarOut(w), deleted: w.deleted })),
  }));

  app.get("/_sim/webinars/:id", async (req, reply) => {
    const w = state.webinars.get((req.params as { id: string }).id);
    if (!w) return reply.code(404).send({ exists: false });
    return { exists: !w.deleted, webinar: webinarOut(w) };
  });

  /** One row per e-mail: the latest record, and how many records were created for it. */
  app.get("/_sim/webinars/:id/registrants", async (req) => {
    const byEmail = new Map<string, { latest: (typeof regs)[number]; createdCount: number }>();
    const regs = state.registrationsOf((req.params as { id: string }).id);
    for (const r of regs) {
      const k = emailKey(r.email);
      const prev = byEmail.get(k);
      byEmail.set(k, { latest: r, createdCount: (prev?.createdCount ?? 0) + 1 });
    }
    return {
      data: [...byEmail.values()].map(({ latest, createdCount }) => ({
        email: latest.email,
        providerRegistrantId: latest.id,
        status: latest.status,
        createdCount,
        reactivatedCount: latest.reactivatedCount,
      })),
    };
  });

  app.post("/_sim/webinars/:id/run", async (req, reply) => {
    try {
      return {
        attendees: runWebinar(state, (req.params as { id: string }).id, parseInput(runSchema, req.body)),
      };
    } catch (err) {
      return fail(reply, err);
    }
  });

  /** Someone registers directly at the service (not through Auditorium): a webhook tells Auditorium. */
  app.post("/_sim/webinars/:id/registrations", async (req, reply) => {
    try {
      const w = state.webinars.get((req.params as { id: string }).id);
      if (!w || w.deleted) throw new ApiError(404, "not_found", "webinar not found");
      const result = registerPerson(state, w, parseInput(registrationInput, req.body));
      return reply.code(result.status).send(result.body);
    } catch (err) {
      return fail(reply, err);
    }
  });

  /** Someone cancels directly at the service. */
  app.post("/_sim/webinars/:id/registrations/:rid/cancel", async (req, reply) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const r = state.registrationsOf(id).find((x) => x.id === rid);
    if (!r) return reply.code(404).send({ error: { code: "not_found", message: "registration not found" } });
    cancelRegistration(state, r);
    return registrationOut(r);
  });
}
