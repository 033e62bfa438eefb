import type { Kysely, Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";

type Trx = Transaction<Database>;

/**
 * What the registration service tells the person behind a registration, inside the
 * transaction that made the change, so a message exists exactly when the change commits.
 * The secrets (the registrant's page token, the confirmation token) exist in clear only
 * here: the database keeps their hashes, and the only way they reach a person is through
 * the address they gave. That is what lets the public form answer the same thing whoever
 * typed which address (docs/email.md, "Public form").
 */
export interface RegistrantNotices {
  /** A registration holds a place or a waitlist spot; `pageToken` opens the registrant's page (join link, calendar, cancel). */
  registered(trx: Trx, notice: { registrationId: string; pageToken: string | null }): Promise<void>;
  /** A waitlisted registration got a place; `pageToken` is a fresh page token (the old one stops working). */
  promoted(trx: Trx, notice: { registrationId: string; pageToken: string }): Promise<void>;
  /** The registrant cancelled (their page, or an organizer for them). */
  cancelled(trx: Trx, notice: { registrationId: string }): Promise<void>;
  /** The public form was sent again for someone already registered: the address's owner hears of it, nobody else. */
  alreadyRegistered(trx: Trx, notice: { registrationId: string }): Promise<void>;
  /** Double opt-in: the registration waits for the click on the link that carries `confirmToken`. */
  confirmationRequested(
    trx: Trx,
    notice: { registrationId: string; confirmToken: string; expiresAt: Date },
  ): Promise<void>;
}

/** Tells two listeners, in order, in the same transaction. */
export function bothNotices(first: RegistrantNotices, second: RegistrantNotices): RegistrantNotices {
  return {
    async registered(trx, n) {
      await first.registered(trx, n);
      await second.registered(trx, n);
    },
    async alreadyRegistered(trx, n) {
      await first.alreadyRegistered(trx, n);
      await second.alreadyRegistered(trx, n);
    },
    async promoted(trx, n) {
      await first.promoted(trx, n);
      await second.promoted(trx, n);
    },
    async cancelled(trx, n) {
      await first.cancelled(trx, n);
      await second.cancelled(trx, n);
    },
    async confirmationRequested(trx, n) {
      await first.confirmationRequested(trx, n);
      await second.confirmationRequested(trx, n);
    },
  };
}

/** A registrant's join link, read in the caller's transaction (webinars/registration-webinars.ts). */
export type JoinLinkOf = (
  executor: Kysely<Database>,
  registration: { id: string; status: string },
) => Promise<string | null>;

/**
 * The recording or on-demand link a registrant is sent after the event: of the webinars they
 * belong to (the same rule as the join link), the first that has one.
 */
export type RecordingLinkOf = (
  executor: Kysely<Database>,
  registration: { id: string },
) => Promise<string | null>;
