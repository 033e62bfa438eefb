// A registration that vanishes from Graph without a trace (lost there, not canceled), for drift
// tests: `DELETE /_sim/webinars/{id}/registrations/{registrationId}`. Registering and cancelling
// on Teams' side without us are in control.ts.
import type { FastifyInstance } from "fastify";
import type { TeamsSimState } from "../state.ts";

export function purgeRoutes(app: FastifyInstance, state: TeamsSimState): void {
  app.delete("/_sim/webinars/:id/registrations/:rid", async (req, reply) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const e = state.events.get(id);
    const i = e?.registrations.findIndex((r) => r.id === rid) ?? -1;
    if (!e || i < 0) return reply.code(404).send({ error: "No such registration." });
    e.registrations.splice(i, 1);
    return reply.code(204).send();
  });
}
