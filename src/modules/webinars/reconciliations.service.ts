import type { Db } from "../../db/database.ts";
import type { WebinarReconciliationRow } from "../../db/schema-webinars.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { conflict, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { requestReconciliation } from "./sync/reconcile.ts";

/** Runs the API lists per webinar, newest first. */
const RUNS_LISTED = 20;

/**
 * Reconciliation on demand and its history (docs/webinars.md, "Reconciliation"): a run is
 * queued like the scheduled ones and done by a sync worker; its drift is read back here.
 */
export function createReconciliationService(deps: { db: Db; queue: JobQueue }) {
  const { db, queue } = deps;

  async function webinarOf(organizationId: string, webinarId: string) {
    const w = await db
      .selectFrom("webinars")
      .select(["id", "organization_id", "state", "desired"])
      .where("organization_id", "=", organizationId)
      .where("id", "=", webinarId)
      .executeTakeFirst();
    if (!w) throw notFound("Webinar");
    return w;
  }

  return {
    /** Queues a run now; refused while the webinar is not live at its provider. */
    async requestNow(organizationId: string, webinarId: string): Promise<WebinarReconciliationRow> {
      const w = await webinarOf(organizationId, webinarId);
      if (w.desired !== "active" || w.state !== "provisioned")
        throw conflict(
          "webinar_not_provisioned",
          "The webinar is not live at its provider yet (or no longer); nothing to reconcile",
        );
      return db.transaction().execute((trx) => requestReconciliation(queue, trx, w, "api", uuidv7()));
    },

    async list(organizationId: string, webinarId: string): Promise<WebinarReconciliationRow[]> {
      await webinarOf(organizationId, webinarId);
      return db
        .selectFrom("webinar_reconciliations")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .where("webinar_id", "=", webinarId)
        .orderBy("requested_at", "desc")
        .orderBy("id", "desc")
        .limit(RUNS_LISTED)
        .execute();
    },
  };
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>;
