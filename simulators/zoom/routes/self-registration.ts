// Registration on Zoom's own page, for tests (not a Zoom API): people who register through the
// webinar's registration link (zoom.us/webinar/register/…) or cancel from their confirmation
// e-mail never pass through the REST API. Simulator-only, JSON, no auth, no daily allowance
// spent, no webhook sent (a test sees what reconciliation alone brings back).
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { ZoomSimState } from "../state.ts";
import type { SimRegistrant, SimWebinar } from "../types.ts";

const personSchema = z
  .object({
    email: z.string().min(3).max(128),
    firstName: z.string().min(1).max(64),
    lastName: z.string().min(1).max(64),
    company: z.string().max(255).optional(),
    jobTitle: z.string().max(255).optional(),
  })
  .strict();

export function registerSelfRegistrationRoutes(app: FastifyInstance, state: ZoomSimState) {
  const webinarOf = (raw: string): SimWebinar | undefined => {
    const w = state.webinars.get(Number(raw));
    return w && !w.deleted ? w : undefined;
  };
  const missing = (reply: FastifyReply, what: string) => reply.code(404).send({ error: `no such ${what}` });

  /** Registers through the registration page (approved at once); an address already there is re-approved. */
  app.post("/_sim/webinars/:id/self-registrations", async (req, reply) => {
    const w = webinarOf((req.params as { id: string }).id);
    if (!w) return missing(reply, "webinar");
    const parsed = personSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: z.prettifyError(parsed.error) });
    const p = parsed.data;
    const existing = w.registrants.find((r) => r.email.toLowerCase() === p.email.toLowerCase());
    if (existing) {
      existing.cancelled = false;
      return { providerRegistrantId: existing.id };
    }
    const r: SimRegistrant = {
      id: randomBytes(16).toString("base64url").slice(0, 22),
      customQuestions: [],
      email: p.email,
      firstName: p.firstName,
      lastName: p.lastName,
      org: p.company ?? "",
      jobTitle: p.jobTitle ?? "",
      status: "approved",
      cancelled: false,
      createTime: new Date(state.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      joinUrl: `https://zoom.us/w/${w.id}?tk=${randomBytes(18).toString("base64url")}`,
      createdCount: 1,
    };
    w.registrants.push(r);
    return reply.code(201).send({ providerRegistrantId: r.id });
  });

  /** The registrant cancels from the confirmation e-mail: listed as denied, as the `cancel` action leaves it. */
  app.post("/_sim/webinars/:id/self-registrations/:rid/cancel", async (req, reply) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const r = webinarOf(id)?.registrants.find((x) => x.id === rid);
    if (!r) return missing(reply, "registrant");
    r.cancelled = true;
    return { status: "denied" };
  });

  /** The registrant vanishes without a trace (lost at the provider): for drift tests. */
  app.delete("/_sim/webinars/:id/self-registrations/:rid", async (req, reply) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const w = webinarOf(id);
    const i = w?.registrants.findIndex((x) => x.id === rid) ?? -1;
    if (!w || i < 0) return missing(reply, "registrant");
    w.registrants.splice(i, 1);
    return reply.code(204).send();
  });
}
