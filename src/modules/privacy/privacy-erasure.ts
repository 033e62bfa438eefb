import { randomBytes } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import type { Envelope } from "../../keys/index.ts";
import { erasureEmailContext } from "../../keys/sealed-columns.ts";
import { notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import type { EmitWebhookEvent } from "../webhooks-out/emit.ts";
import { deleteWebhookMessagesOf } from "../webhooks-out/history.ts";
import { hashEmail } from "./suppression.ts";

/**
 * The erasure core ("right to be forgotten"): removes every local trace of one person in the
 * caller's transaction and creates the tracked provider erasures (see privacy.service.ts).
 */

type Trx = Transaction<Database>;

export interface ErasureDeps {
  queue: JobQueue;
  envelope: Envelope;
  registrations: Pick<RegistrationService, "refillEvent">;
  /** Outgoing webhooks: erasure.completed (the person's earlier messages are deleted). */
  emitWebhookEvent: EmitWebhookEvent;
}

export interface EraseOptions {
  /** The user who asked (null from the CLI). */
  requestedBy: string | null;
  /** Keep a salted hash of the address to refuse re-import; defaults to the organization's setting. */
  blockReimport?: boolean | undefined;
}

async function settingsOf(trx: Trx, organizationId: string) {
  const found = await trx
    .selectFrom("privacy_settings")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .executeTakeFirst();
  if (found) return found;
  return trx
    .insertInto("privacy_settings")
    .values({
      organization_id: organizationId,
      hash_salt: randomBytes(32).toString("base64"),
      updated_at: new Date(),
    })
    .onConflict((oc) => oc.column("organization_id").doUpdateSet({ updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The core: every contact of the organization with this address, and all that hangs off them. */
export async function eraseIn(
  deps: ErasureDeps,
  trx: Trx,
  organizationId: string,
  emailNormalized: string,
  options: EraseOptions,
): Promise<string> {
  const { queue, envelope, registrations, emitWebhookEvent } = deps;
  const people = await trx
    .selectFrom("contacts")
    .select(["id", "email", "first_name", "last_name"])
    .where("organization_id", "=", organizationId)
    .where("email_normalized", "=", emailNormalized)
    .orderBy("id")
    .forUpdate()
    .execute();
  if (people.length === 0) throw notFound("Contact");
  const contactIds = people.map((p) => p.id);
  const email = people[0]?.email ?? emailNormalized;

  const regs = await trx
    .selectFrom("registrations")
    .select(["id", "event_id", "status"])
    .where("organization_id", "=", organizationId)
    .where("contact_id", "in", contactIds)
    .execute();
  const regIds = regs.map((r) => r.id);
  // Capacity decisions lock the event first; so do we, in id order, before touching rows.
  const eventIds = [...new Set(regs.map((r) => r.event_id))].sort();
  if (eventIds.length)
    await trx
      .selectFrom("events")
      .select("id")
      .where("id", "in", eventIds)
      .orderBy("id")
      .forUpdate()
      .execute();

  // Every provider account that may hold the person: a registrant id came back, an attempt
  // was made (it may have reached the provider before the answer was lost), or the provider
  // reported attendance for them.
  const reached = regIds.length
    ? await trx
        .selectFrom("webinar_configurations as c")
        .select(["c.id", "c.provider"])
        .where("c.organization_id", "=", organizationId)
        .where((eb) =>
          eb.or([
            eb.exists(
              eb
                .selectFrom("registration_syncs as s")
                .select("s.registration_id")
                .whereRef("s.configuration_id", "=", "c.id")
                .where("s.registration_id", "in", regIds)
                .where((x) => x.or([x("s.provider_registrant_id", "is not", null), x("s.attempts", ">", 0)])),
            ),
            eb.exists(
              eb
                .selectFrom("attendance as a")
                .innerJoin("webinars as w", "w.id", "a.webinar_id")
                .select("a.registration_id")
                .whereRef("w.configuration_id", "=", "c.id")
                .where("a.registration_id", "in", regIds),
            ),
          ]),
        )
        .orderBy("c.id")
        .execute()
    : [];
  // A registration sync holding its lease may be mid-call: start the erasure after it lapses,
  // so the provider cannot receive the person again after forgetting them.
  const lease = regIds.length
    ? await trx
        .selectFrom("registration_syncs")
        .select(
          sql<number>`coalesce(max(greatest(0, extract(epoch from (lease_until - now())))), 0)::float8`.as(
            "left",
          ),
        )
        .where("registration_id", "in", regIds)
        .executeTakeFirst()
    : undefined;

  const settings = await settingsOf(trx, organizationId);
  const block = options.blockReimport ?? settings.block_reimport;
  const erasureId = uuidv7();
  await trx
    .insertInto("erasures")
    .values({
      id: erasureId,
      organization_id: organizationId,
      requested_by: options.requestedBy,
      email_hash: block ? hashEmail(settings.hash_salt, emailNormalized) : null,
      contacts_erased: contactIds.length,
      registrations_erased: regIds.length,
    })
    .execute();

  const targets = await targetsOf(trx, regIds);
  const providerErasureIds: string[] = [];
  for (const config of reached) {
    const row = { id: uuidv7(), organization_id: organizationId, configuration_id: config.id };
    const plaintext = Buffer.from(email, "utf8");
    const sealed = JSON.stringify(await envelope.seal(plaintext, erasureEmailContext(row)));
    plaintext.fill(0);
    await trx
      .insertInto("provider_erasures")
      .values({
        ...row,
        erasure_id: erasureId,
        provider: config.provider,
        sealed_email: sealed,
        targets: JSON.stringify(targets.get(config.id) ?? []),
        pending_hash: hashEmail(settings.hash_salt, emailNormalized),
        updated_at: new Date(),
      })
      .execute();
    providerErasureIds.push(row.id);
  }

  // Idempotency records whose stored response names the person or their registrations.
  const needles = [emailNormalized, ...contactIds, ...regIds];
  await trx
    .deleteFrom("idempotency_keys")
    .where("organization_id", "=", organizationId)
    .where((eb) =>
      eb.or(
        needles.map((n) => eb(sql<number>`position(${n} in lower(coalesce(response::text, '')))`, ">", 0)),
      ),
    )
    .execute();

  await scrubImports(trx, organizationId, emailNormalized);

  // Queued jobs for the person's registrations carry only ids; drop them all the same.
  // (Handlers tolerate missing rows, so one claimed meanwhile finds nothing and returns.)
  if (regIds.length)
    await sql`DELETE FROM pgboss.job WHERE name = 'registration.sync' AND state IN ('created', 'retry')
      AND data->>'registrationId' IN (${sql.join(regIds)})`.execute(trx);

  // Every message to the address, queued or stored, whether or not it belongs to one of the
  // registrations (a notice may outlive its registration's link): the outbox keeps the
  // address and the words. Queued sends of them are dropped; a claimed one finds no row.
  const messages = await trx
    .deleteFrom("email_messages")
    .where("organization_id", "=", organizationId)
    .where((eb) =>
      eb.or([
        eb(sql<string>`lower(recipient)`, "=", emailNormalized),
        ...(regIds.length ? [eb("registration_id", "in", regIds)] : []),
      ]),
    )
    .returning("id")
    .execute();
  if (messages.length)
    await sql`DELETE FROM pgboss.job WHERE name = 'email.send' AND state IN ('created', 'retry')
      AND data->>'messageId' IN (${sql.join(messages.map((m) => m.id))})`.execute(trx);

  // Outgoing webhook messages about the person (their ids and facts), sent or not.
  await deleteWebhookMessagesOf(trx, organizationId, { registrationIds: regIds, contactIds });

  // Registrations cascade to sessions, check-ins, registration syncs and attendance.
  if (regIds.length) await trx.deleteFrom("registrations").where("id", "in", regIds).execute();
  await trx.deleteFrom("contacts").where("id", "in", contactIds).execute();

  // A freed place goes to the waitlist, as with a cancellation.
  const freed = new Set(regs.filter((r) => r.status === "registered").map((r) => r.event_id));
  for (const eventId of [...freed].sort()) await registrations.refillEvent(organizationId, eventId, trx);

  // Counts and the erasure's id only: nothing that names the person. Written after the
  // refill, so promotions it caused come first.
  await emitWebhookEvent(trx, organizationId, "erasure.completed", {
    erasureId,
    contactsErased: contactIds.length,
    registrationsErased: regIds.length,
    providerErasures: providerErasureIds.length,
  });

  const startAfterSeconds = (lease?.left ?? 0) > 0 ? (lease?.left ?? 0) + 2 : 0;
  for (const providerErasureId of providerErasureIds)
    await queue.send(trx, "person.erase", { providerErasureId }, { startAfterSeconds });
  return erasureId;
}

/**
 * Per provider account, the webinars there that received the person (a registrant id came
 * back, an attempt was made, or attendance was reported), with the registrant id when known:
 * Zoom, GoTo and Teams forget a registrant per webinar, and the rows naming them are deleted
 * with the registrations in this transaction.
 */
async function targetsOf(trx: Trx, regIds: string[]) {
  const byConfig = new Map<string, { providerWebinarId: string; providerRegistrantId: string | null }[]>();
  if (!regIds.length) return byConfig;
  const synced = await trx
    .selectFrom("registration_syncs as s")
    .innerJoin("webinars as w", "w.id", "s.webinar_id")
    .select(["w.configuration_id", "w.provider_webinar_id", "s.provider_registrant_id"])
    .where("s.registration_id", "in", regIds)
    .where("w.provider_webinar_id", "is not", null)
    .where((x) => x.or([x("s.provider_registrant_id", "is not", null), x("s.attempts", ">", 0)]))
    .execute();
  const attended = await trx
    .selectFrom("attendance as a")
    .innerJoin("webinars as w", "w.id", "a.webinar_id")
    .select(["w.configuration_id", "w.provider_webinar_id"])
    .where("a.registration_id", "in", regIds)
    .where("w.provider_webinar_id", "is not", null)
    .execute();
  const add = (configurationId: string, providerWebinarId: string, providerRegistrantId: string | null) => {
    const list = byConfig.get(configurationId) ?? [];
    const same = list.find((t) => t.providerWebinarId === providerWebinarId);
    if (!same) list.push({ providerWebinarId, providerRegistrantId });
    else same.providerRegistrantId ??= providerRegistrantId;
    byConfig.set(configurationId, list);
  };
  for (const r of synced) add(r.configuration_id, r.provider_webinar_id as string, r.provider_registrant_id);
  for (const r of attended) add(r.configuration_id, r.provider_webinar_id as string, null);
  return byConfig;
}

/**
 * Import files are kept only to resume an unfinished import. A finished import's file is
 * deleted outright when it mentions the person; an unfinished one has each line naming the
 * person blanked in place (row numbers stay, the row is reported as refused). Refused-row
 * messages naming the address are deleted.
 */
async function scrubImports(trx: Trx, organizationId: string, emailNormalized: string) {
  const files = await trx
    .selectFrom("import_files as f")
    .innerJoin("imports as i", "i.id", "f.import_id")
    .select(["f.import_id", "f.content", "i.status"])
    .where("i.organization_id", "=", organizationId)
    .where(sql<number>`position(${emailNormalized} in lower(f.content))`, ">", 0)
    .forUpdate()
    .execute();
  for (const file of files) {
    if (file.status === "completed" || file.status === "failed") {
      await trx.deleteFrom("import_files").where("import_id", "=", file.import_id).execute();
      continue;
    }
    const content = file.content
      .split(/(\r?\n)/)
      .map((part) => (part.toLowerCase().includes(emailNormalized) ? "" : part))
      .join("");
    await trx.updateTable("import_files").set({ content }).where("import_id", "=", file.import_id).execute();
  }
  await trx
    .deleteFrom("import_row_errors")
    .where("import_id", "in", (eb) =>
      eb.selectFrom("imports").select("id").where("organization_id", "=", organizationId),
    )
    .where(sql<number>`position(${emailNormalized} in lower(message))`, ">", 0)
    .execute();
}
