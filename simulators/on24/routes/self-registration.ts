// Registration on ON24's own page, for tests (not an ON24 API): people who register through the
// event's audience registration page (event.on24.com/wcc/r/…) or are removed there never pass
// through the REST API. Simulator-only, JSON, no auth, not counted as API requests.
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { SimState } from "../state.ts";
import type { SimRegistrant } from "../types.ts";

const personSchema = z
  .object({
    email: z.string().min(3).max(255),
    firstName: z.string().min(1).max(255),
    lastName: z.string().min(1).max(255),
    company: z.string().max(255).optional(),
    jobTitle: z.string().max(255).optional(),
  })
  .strict();

function find(state: SimState, eventId: number, eventuserid: number): SimRegistrant | undefined {
  const r = state.registrants.get(eventuserid);
  return r && r.eventId === eventId ? r : undefined;
}

export function registerSelfRegistrationRoutes(app: FastifyInstance, state: SimState) {
  const missing = (reply: FastifyReply, what: string) => reply.code(404).send({ error: `Unknown ${what}` });

  /** Registers through the registration page: active, created once (an existing address is re-activated). */
  app.post("/_sim/events/:eventId/self-registrations", async (req, reply) => {
    const eventId = Number((req.params as { eventId: string }).eventId);
    const ev = state.events.get(eventId);
    if (!ev || ev.deleted) return missing(reply, `event ${eventId}`);
    const parsed = personSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: z.prettifyError(parsed.error) });
    const p = parsed.data;
    const now = state.now();
    const existing = [...state.registrants.values()].find(
      (r) =>
        r.eventId === eventId &&
        r.status !== "forgotten" &&
        (r.fields.email ?? "").toLowerCase() === p.email.toLowerCase(),
    );
    if (existing) {
      existing.status = "active";
      existing.lastActivity = now;
      return { providerRegistrantId: String(existing.eventuserid) };
    }
    const reg: SimRegistrant = {
      eventuserid: state.nextId("eventuser"),
      eventId,
      clientId: ev.clientId,
      fields: {
        email: p.email,
        firstname: p.firstName,
        lastname: p.lastName,
        ...(p.company !== undefined && { company: p.company }),
        ...(p.jobTitle !== undefined && { jobtitle: p.jobTitle }),
      },
      createdAt: now,
      lastActivity: now,
      status: "active",
      blocked: false,
      walkIn: false,
      createCount: 1,
      originalEmail: p.email,
    };
    state.registrants.set(reg.eventuserid, reg);
    return reply.code(201).send({ providerRegistrantId: String(reg.eventuserid) });
  });

  /** The registrant cancels (or the console removes them): soft-deleted, as `isDeleted=Y` does. */
  app.post("/_sim/events/:eventId/self-registrations/:eventuserid/cancel", async (req, reply) => {
    const { eventId, eventuserid } = req.params as { eventId: string; eventuserid: string };
    const r = find(state, Number(eventId), Number(eventuserid));
    if (!r) return missing(reply, `registrant ${eventuserid}`);
    r.status = "deleted";
    r.lastActivity = state.now();
    return { status: r.status };
  });

  /** The registrant vanishes without a trace (lost at the provider): for drift tests. */
  app.delete("/_sim/events/:eventId/self-registrations/:eventuserid", async (req, reply) => {
    const { eventId, eventuserid } = req.params as { eventId: string; eventuserid: string };
    const r = find(state, Number(eventId), Number(eventuserid));
    if (!r) return missing(reply, `registrant ${eventuserid}`);
    state.registrants.delete(r.eventuserid);
    return reply.code(204).send();
  });
}
