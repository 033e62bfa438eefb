import type { Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";
import { conflict, unprocessable } from "../../lib/errors.ts";
import type { EventHooks } from "../events/events.service.ts";
import type { SyncPlanner } from "./sync/planner.ts";

/** How event management tells the webinar integration about its changes (see EventHooks). */
export function createWebinarEventHooks(deps: { planner: SyncPlanner }): EventHooks {
  const { planner } = deps;
  return {
    async validateWebinarConfiguration(
      trx: Transaction<Database>,
      organizationId: string,
      configurationId: string,
    ) {
      const found = await trx
        .selectFrom("webinar_configurations")
        .select("id")
        .where("organization_id", "=", organizationId)
        .where("id", "=", configurationId)
        .executeTakeFirst();
      if (!found)
        throw unprocessable(
          "unknown_webinar_configuration",
          "No such webinar configuration",
          "webinarConfigurationId",
        );
    },
    eventChanged: (trx, event) => planner.eventChanged(trx, event),
    sessionChanged: (trx, session, event) => planner.sessionChanged(trx, session, event),
    async assertNoLiveWebinar(trx, where) {
      let query = trx
        .selectFrom("webinars")
        .select("id")
        .where("event_id", "=", where.eventId)
        .where("provider_webinar_id", "is not", null)
        .where("state", "<>", "deleted");
      if (where.sessionId) query = query.where("session_id", "=", where.sessionId);
      if (await query.executeTakeFirst()) {
        throw conflict(
          "webinar_live",
          "A webinar exists at the provider; cancel the event or switch the format off first",
        );
      }
    },
  };
}
