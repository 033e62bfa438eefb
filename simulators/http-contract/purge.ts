// A registration that vanishes at the service without a trace (lost there, not cancelled), for
// drift tests: `DELETE /_sim/webinars/{id}/registrations/{registrationId}`. Registering and
// cancelling directly at the service are in control.ts.
import type { FastifyInstance } from "fastify";
import type { ContractState } from "./state.ts";

export function registerPurgeRoute(app: FastifyInstance, state: ContractState): void {
  app.delete("/_sim/webinars/:id/registrations/:rid", async (req, reply) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const list = state.registrationsOf(id);
    const i = list.findIndex((r) => r.id === rid);
    if (i < 0)
      return reply.code(404).send({ error: { code: "not_found", message: "registration not found" } });
    list.splice(i, 1);
    return reply.code(204).send();
  });
}
