import type { Transaction } from "kysely";
import type { Database, RegistrationRow } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { hashToken } from "../../lib/ids.ts";
import type { PlaceChangeDeps } from "./places.ts";
import type { RegistrationDto } from "./registrations.schemas.ts";

type Trx = Transaction<Database>;

/** What cancelling reads of a registration. */
export type Cancellable = Pick<
  RegistrationRow,
  "id" | "status" | "organization_id" | "event_id" | "contact_id" | "cancel_token_hash"
>;

/**
 * Cancelling registrations, and moving waitlisted ones up when places free. A cancellation
 * takes the event row lock before it frees a place, and the freed place goes to the oldest
 * waitlisted registration in the same transaction (places.ts), so no newcomer can take it
 * between the two.
 */
export function createCancellation(
  deps: PlaceChangeDeps<"fillFromWaitlist", "cancelled"> & {
    /** The registration as the API shows it, read in the cancelling transaction. */
    load: (organizationId: string, id: string, trx: Trx) => Promise<RegistrationDto>;
  },
) {
  const { db, events, places, notices, registrationsChanged, emitWebhookEvent, load } = deps;

  /**
   * Cancels a registration locked by the caller. `byProvider`: the person cancelled at the
   * webinar provider (webinars/webhooks/apply.ts), which tells them itself; the webhook says
   * so, and no notice is sent.
   */
  async function cancelIn(trx: Trx, reg: Cancellable, { byProvider = false } = {}) {
    if (reg.status === "cancelled") return;
    const event = await events.lock(trx, reg.organization_id, reg.event_id);
    const now = new Date();
    await trx
      .updateTable("registrations")
      .set({ status: "cancelled", cancelled_at: now, updated_at: now })
      .where("id", "=", reg.id)
      .execute();
    await registrationsChanged(trx, [reg.id]);
    await emitWebhookEvent(trx, reg.organization_id, "registration.cancelled", {
      registrationId: reg.id,
      eventId: reg.event_id,
      contactId: reg.contact_id,
      status: "cancelled",
      previousStatus: reg.status,
      ...(byProvider ? { cancelledBy: "provider" } : {}),
    });
    if (!byProvider && reg.cancel_token_hash !== null)
      await notices.cancelled(trx, { registrationId: reg.id });
    if (reg.status === "registered") await places.fillFromWaitlist(trx, event);
  }

  /** The registration to cancel, locked for the change; 404 when there is none. */
  async function lockedRegistration(
    trx: Trx,
    by: { organizationId: string; id: string } | { token: string },
  ) {
    const query = trx.selectFrom("registrations").selectAll().forUpdate();
    const reg = await ("token" in by
      ? query.where("cancel_token_hash", "=", hashToken(by.token))
      : query.where("organization_id", "=", by.organizationId).where("id", "=", by.id)
    ).executeTakeFirst();
    if (!reg) throw notFound("Registration");
    return reg;
  }

  return {
    cancelLocked: cancelIn,

    async cancel(organizationId: string, id: string) {
      return db.transaction().execute(async (trx) => {
        await cancelIn(trx, await lockedRegistration(trx, { organizationId, id }));
        return load(organizationId, id, trx);
      });
    },

    /** Cancels with the secret from a public registration's confirmation; unknown secrets are 404. */
    async cancelByToken(token: string) {
      return db.transaction().execute(async (trx) => {
        const reg = await lockedRegistration(trx, { token });
        await cancelIn(trx, reg);
        return { id: reg.id, status: "cancelled" as const };
      });
    },

    /** After an event's capacity grows, waitlisted people move up (in `trx` when given). */
    async refillEvent(organizationId: string, eventId: string, trx?: Trx) {
      if (trx) return places.fillFromWaitlist(trx, await events.lock(trx, organizationId, eventId));
      return db
        .transaction()
        .execute(async (t) => places.fillFromWaitlist(t, await events.lock(t, organizationId, eventId)));
    },
  };
}
