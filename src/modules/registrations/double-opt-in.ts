import { AppError, conflict } from "../../lib/errors.ts";
import { hashToken, newSecretToken } from "../../lib/ids.ts";
import type { PlaceChangeDeps } from "./places.ts";

/**
 * Double opt-in: a public registration is stored as `pending_confirmation`, holding no place
 * and sent to no provider (the sync planner only plans `registered` ones), until its person
 * clicks the emailed link. The click takes a place (or a waitlist spot) as registering would
 * have at that moment, issues the registrant's page token, and plans the provider sync, all
 * in one transaction. The confirmation token is single-use: its hash is cleared on use.
 * Unconfirmed registrations are deleted once their link lapses (`expire`, run by a sweep).
 */
export function createDoubleOptIn(deps: PlaceChangeDeps<"statusForNewcomer", "registered">) {
  const { db, events, places, notices, registrationsChanged, emitWebhookEvent } = deps;
  const unknownLink = () =>
    new AppError(404, "confirmation_unknown", "This confirmation link is unknown, used or expired");

  return {
    async confirm(token: string, now = new Date()) {
      return db.transaction().execute(async (trx) => {
        const reg = await trx
          .selectFrom("registrations")
          .select(["id", "organization_id", "event_id", "contact_id", "status", "confirmation_expires_at"])
          .where("confirm_token_hash", "=", hashToken(token))
          .forUpdate()
          .executeTakeFirst();
        const expires = reg?.confirmation_expires_at;
        if (reg?.status !== "pending_confirmation" || !expires || expires <= now) throw unknownLink();
        const event = await events.lock(trx, reg.organization_id, reg.event_id);
        if (event.status === "cancelled") throw conflict("event_cancelled", "The event is cancelled");
        const status = await places.statusForNewcomer(trx, event, null);
        const pageToken = newSecretToken();
        await trx
          .updateTable("registrations")
          .set({
            status,
            confirm_token_hash: null,
            confirmation_expires_at: null,
            cancel_token_hash: hashToken(pageToken),
            updated_at: now,
          })
          .where("id", "=", reg.id)
          .execute();
        if (status === "registered") await registrationsChanged(trx, [reg.id]);
        await emitWebhookEvent(trx, reg.organization_id, "registration.confirmed", {
          registrationId: reg.id,
          eventId: reg.event_id,
          contactId: reg.contact_id,
          status,
          previousStatus: "pending_confirmation",
        });
        await notices.registered(trx, { registrationId: reg.id, pageToken });
        return { status };
      });
    },

    /** Deletes lapsed unconfirmed registrations (their sessions follow by cascade); answers how many. */
    async expire(now = new Date()): Promise<number> {
      const gone = await db
        .deleteFrom("registrations")
        .where("status", "=", "pending_confirmation")
        .where("confirmation_expires_at", "<=", now)
        .returning("id")
        .execute();
      return gone.length;
    },
  };
}
