import { sql } from "kysely";
import type { Db } from "../../../db/database.ts";

/**
 * The reads reconciliation (reconcile.ts) decides with: which registrations are linked to which
 * provider registrants, and which of ours the provider does not list.
 */

/** Live registrations linked to these provider registrants (to count what a cancel changes). */
export async function liveLinked(db: Db, webinarId: string, providerIds: string[]) {
  if (providerIds.length === 0) return [];
  const rows = await db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .select("r.id")
    .where("s.webinar_id", "=", webinarId)
    .where(sql<boolean>`s.provider_registrant_id = ANY(${providerIds}::text[])`)
    .where("r.status", "<>", "cancelled")
    .execute();
  return rows.map((r) => r.id);
}

/** Provider ids of these that are linked here with a synced row (nothing to do for them). */
export async function linkedSynced(db: Db, webinarId: string, providerIds: string[]) {
  if (providerIds.length === 0) return [];
  const rows = await db
    .selectFrom("registration_syncs")
    .select("provider_registrant_id")
    .where("webinar_id", "=", webinarId)
    .where("state", "=", "synced")
    .where("desired", "=", "registered")
    .where(sql<boolean>`provider_registrant_id = ANY(${providerIds}::text[])`)
    .execute();
  return rows.map((r) => r.provider_registrant_id as string);
}

/** Linked registrants no longer listed at a provider whose cancellation deletes them (GoTo). */
export async function vanished(db: Db, webinarId: string, listedIds: Set<string>, listedBefore: Date) {
  const rows = await db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .select(["s.provider_registrant_id"])
    .where("s.webinar_id", "=", webinarId)
    .where("s.state", "=", "synced")
    .where("s.desired", "=", "registered")
    .where("s.provider_registrant_id", "is not", null)
    // Synced after the list was read: it may simply not have been there yet.
    .where("s.synced_at", "<", listedBefore)
    .where("r.status", "<>", "cancelled")
    .execute();
  return rows.map((r) => r.provider_registrant_id as string).filter((id) => !listedIds.has(id));
}

/**
 * Our live registrations meant for this webinar that the provider does not list as
 * registered: still on their way (pending, held, failed) or, when the sync row says
 * synced, lost there. Rows synced after the list was read are not counted.
 */
export async function oursMissingThere(
  db: Db,
  webinarId: string,
  activeIds: string[],
  activeEmails: string[],
  at: Date,
) {
  return db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select(["s.registration_id", "s.state"])
    .where("s.webinar_id", "=", webinarId)
    .where("s.desired", "=", "registered")
    .where("r.status", "=", "registered")
    .where((eb) => eb.or([eb("s.state", "<>", "synced"), eb("s.synced_at", "<", at)]))
    .where(sql<boolean>`NOT (coalesce(s.provider_registrant_id, '') = ANY(${activeIds}::text[])
      OR c.email_normalized = ANY(${activeEmails}::text[]))`)
    .orderBy("s.registration_id")
    .execute();
}
