import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";

type Trx = Transaction<Database>;

const BATCH = 500;

/**
 * Retention of what was sent: messages written more than `days` ago go, with their
 * deliveries and attempts, in batches of one transaction each — except a message still
 * waiting for a disabled endpoint (an admin may enable it again). Attempts older than the
 * period go even when their message stays. Run by the hourly retention sweep.
 */
export async function sweepWebhookHistory(db: Db, days: number, now = new Date()) {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  let messages = 0;
  let attempts = 0;
  for (;;) {
    const gone = await db
      .deleteFrom("webhook_messages")
      .where(
        "id",
        "in",
        db
          .selectFrom("webhook_messages as m")
          .select("m.id")
          .where("m.created_at", "<", cutoff)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom("webhook_deliveries as d")
                  .select("d.id")
                  .whereRef("d.message_id", "=", "m.id")
                  .where("d.state", "=", "pending"),
              ),
            ),
          )
          .limit(BATCH),
      )
      .executeTakeFirst();
    const n = Number(gone.numDeletedRows);
    messages += n;
    if (n < BATCH) break;
  }
  for (;;) {
    const gone = await db
      .deleteFrom("webhook_attempts")
      .where(
        "id",
        "in",
        db.selectFrom("webhook_attempts").select("id").where("attempted_at", "<", cutoff).limit(BATCH),
      )
      .executeTakeFirst();
    const n = Number(gone.numDeletedRows);
    attempts += n;
    if (n < BATCH) break;
  }
  return { messages, attempts };
}

/**
 * An erasure: every message about the person (by their registrations or contacts) goes, in
 * the erasure's transaction, with its deliveries and attempts. Queued jobs of those deliveries
 * find no row and end; one mid-attempt loses its fence and records nothing.
 */
export async function deleteWebhookMessagesOf(
  trx: Trx,
  organizationId: string,
  person: { registrationIds: string[]; contactIds: string[] },
) {
  const { registrationIds, contactIds } = person;
  if (registrationIds.length === 0 && contactIds.length === 0) return 0;
  const gone = await trx
    .deleteFrom("webhook_messages")
    .where("organization_id", "=", organizationId)
    .where((eb) =>
      eb.or([
        ...(registrationIds.length ? [eb("registration_id", "in", registrationIds)] : []),
        ...(contactIds.length ? [eb("contact_id", "in", contactIds)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(gone.numDeletedRows);
}
