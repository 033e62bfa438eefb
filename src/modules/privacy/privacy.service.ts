import { randomBytes } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { ProviderErasureRow, ProviderErasureState } from "../../db/schema-privacy.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import type { Envelope, SecretContext } from "../../keys/index.ts";
import { notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import { normalizeEmail } from "../access/sessions.service.ts";
import { type ContactService, toContactDto } from "../contacts/contacts.service.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import { hashEmail, isSuppressed } from "./suppression.ts";

type Trx = Transaction<Database>;

/** The fields a registration sync sends to a provider (see registration-sync.ts). */
export const FIELDS_SENT_TO_PROVIDERS = ["email", "firstName", "lastName", "company", "jobTitle"] as const;

/**
 * The envelope context of a provider erasure's sealed address: bound to the organization,
 * the provider account and the erasure row, so a record cannot be moved to another row.
 */
export const erasureSealContext = (row: {
  id: string;
  organization_id: string;
  configuration_id: string;
}): SecretContext => ({
  organizationId: row.organization_id,
  configurationId: row.configuration_id,
  field: `erasure:${row.id}`,
});

export interface EraseOptions {
  /** The user who asked (null from the CLI). */
  requestedBy: string | null;
  /** Keep a salted hash of the address to refuse re-import; defaults to the organization's setting. */
  blockReimport?: boolean | undefined;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * Erasure ("right to be forgotten") and access export ("right of access") of one person,
 * identified by their normalized email within an organization.
 *
 * Erasure removes every local trace in one transaction and creates one tracked provider
 * erasure per provider account that ever received the person; the `person.erase` job
 * (erase-handler.ts) drives each of those to done. The address the provider needs is kept
 * only envelope-sealed on the provider erasure row and wiped when the provider confirms.
 */
export function createPrivacyService(deps: {
  db: Db;
  queue: JobQueue;
  envelope: Envelope;
  contacts: ContactService;
  registrations: Pick<RegistrationService, "refillEvent">;
}) {
  const { db, queue, envelope, contacts, registrations } = deps;

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
  async function eraseIn(trx: Trx, organizationId: string, emailNormalized: string, options: EraseOptions) {
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
                  .where((x) =>
                    x.or([x("s.provider_registrant_id", "is not", null), x("s.attempts", ">", 0)]),
                  ),
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

    const providerErasureIds: string[] = [];
    for (const config of reached) {
      const row = { id: uuidv7(), organization_id: organizationId, configuration_id: config.id };
      const plaintext = Buffer.from(email, "utf8");
      const sealed = JSON.stringify(await envelope.seal(plaintext, erasureSealContext(row)));
      plaintext.fill(0);
      await trx
        .insertInto("provider_erasures")
        .values({
          ...row,
          erasure_id: erasureId,
          provider: config.provider,
          sealed_email: sealed,
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

    // Registrations cascade to sessions, check-ins, registration syncs and attendance.
    if (regIds.length) await trx.deleteFrom("registrations").where("id", "in", regIds).execute();
    await trx.deleteFrom("contacts").where("id", "in", contactIds).execute();

    // A freed place goes to the waitlist, as with a cancellation.
    const freed = new Set(regs.filter((r) => r.status === "registered").map((r) => r.event_id));
    for (const eventId of [...freed].sort()) await registrations.refillEvent(organizationId, eventId, trx);

    const startAfterSeconds = (lease?.left ?? 0) > 0 ? (lease?.left ?? 0) + 2 : 0;
    for (const providerErasureId of providerErasureIds)
      await queue.send(trx, "person.erase", { providerErasureId }, { startAfterSeconds });
    return erasureId;
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
      await trx
        .updateTable("import_files")
        .set({ content })
        .where("import_id", "=", file.import_id)
        .execute();
    }
    await trx
      .deleteFrom("import_row_errors")
      .where("import_id", "in", (eb) =>
        eb.selectFrom("imports").select("id").where("organization_id", "=", organizationId),
      )
      .where(sql<number>`position(${emailNormalized} in lower(message))`, ">", 0)
      .execute();
  }

  async function loadErasure(organizationId: string, id: string) {
    const erasure = await db
      .selectFrom("erasures")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!erasure) throw notFound("Erasure");
    const parts = await providerParts([id]);
    return toErasureDto(erasure, parts.get(id) ?? []);
  }

  async function providerParts(erasureIds: string[]) {
    const map = new Map<string, (ProviderErasureRow & { configuration_name: string | null })[]>();
    if (!erasureIds.length) return map;
    const rows = await db
      .selectFrom("provider_erasures as p")
      .leftJoin("webinar_configurations as c", "c.id", "p.configuration_id")
      .selectAll("p")
      .select("c.name as configuration_name")
      .where("p.erasure_id", "in", erasureIds)
      .orderBy("p.id")
      .execute();
    for (const r of rows) map.set(r.erasure_id, [...(map.get(r.erasure_id) ?? []), r]);
    return map;
  }

  return {
    /** Erases the contact's person: every contact of the organization with the same address. */
    async eraseContact(organizationId: string, contactId: string, options: EraseOptions) {
      const contact = await contacts.get(organizationId, contactId);
      const id = await db
        .transaction()
        .execute((trx) => eraseIn(trx, organizationId, contact.email_normalized, options));
      return loadErasure(organizationId, id);
    },

    /** For the CLI (`auditorium privacy erase --email`): erases whoever has this address. */
    async eraseByEmail(organizationId: string, email: string, options: EraseOptions = { requestedBy: null }) {
      const id = await db
        .transaction()
        .execute((trx) => eraseIn(trx, organizationId, normalizeEmail(email), options));
      return loadErasure(organizationId, id);
    },

    /**
     * Whether data about this address must not be taken in: it was erased with re-import
     * blocked, or a provider erasure for it is still under way (so attendance the provider
     * reports before it forgets the person is not re-imported). For the metrics poll and
     * imports; not wired there yet.
     */
    isSuppressed: (organizationId: string, email: string) => isSuppressed(db, organizationId, email),

    getErasure: loadErasure,

    async listErasures(organizationId: string, query: { limit: number; cursor?: string | undefined }) {
      const after = decodeCursor(query.cursor);
      const rows = await db
        .selectFrom("erasures")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .$if(after !== undefined, (q) => q.where("id", "<", after as string))
        .orderBy("id", "desc")
        .limit(query.limit + 1)
        .execute();
      const page = toPage(rows, query.limit);
      const parts = await providerParts(page.data.map((e) => e.id));
      return {
        data: page.data.map((e) => toErasureDto(e, parts.get(e.id) ?? [])),
        nextCursor: page.nextCursor,
      };
    },

    /** Everything held about the contact's person (all contacts with the same address). */
    async exportContact(organizationId: string, contactId: string) {
      const contact = await contacts.get(organizationId, contactId);
      const people = await db
        .selectFrom("contacts")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .where("email_normalized", "=", contact.email_normalized)
        .orderBy("id")
        .execute();
      const contactIds = people.map((p) => p.id);
      const regs = await db
        .selectFrom("registrations as r")
        .innerJoin("events as e", "e.id", "r.event_id")
        .selectAll("r")
        .select(["e.title as event_title", "e.starts_at as event_starts_at"])
        .where("r.organization_id", "=", organizationId)
        .where("r.contact_id", "in", contactIds)
        .orderBy("r.id")
        .execute();
      const regIds = regs.map((r) => r.id);
      const none = regIds.length === 0;
      const sessions = none
        ? []
        : await db
            .selectFrom("registration_sessions as x")
            .innerJoin("event_sessions as s", "s.id", "x.session_id")
            .select(["x.registration_id", "s.id", "s.title", "s.starts_at", "s.ends_at"])
            .where("x.registration_id", "in", regIds)
            .orderBy("s.starts_at")
            .execute();
      const checkIns = none
        ? []
        : await db
            .selectFrom("check_ins")
            .selectAll()
            .where("registration_id", "in", regIds)
            .orderBy("id")
            .execute();
      const attendance = none
        ? []
        : await db
            .selectFrom("attendance as a")
            .innerJoin("webinars as w", "w.id", "a.webinar_id")
            .selectAll("a")
            .select(["w.configuration_id"])
            .where("a.registration_id", "in", regIds)
            .execute();
      const syncs = none
        ? []
        : await db
            .selectFrom("registration_syncs as s")
            .innerJoin("webinar_configurations as c", "c.id", "s.configuration_id")
            .innerJoin("webinars as w", "w.id", "s.webinar_id")
            .select([
              "s.registration_id",
              "s.webinar_id",
              "s.configuration_id",
              "c.name as configuration_name",
              "c.provider",
              "w.provider_webinar_id",
              "s.state",
              "s.desired",
              "s.provider_registrant_id",
              "s.join_url",
              "s.attempts",
              "s.last_attempt_at",
              "s.synced_at",
              "s.created_at",
            ])
            .where("s.registration_id", "in", regIds)
            .orderBy("s.created_at")
            .execute();
      return {
        exportedAt: new Date().toISOString(),
        email: contact.email,
        contacts: people.map(toContactDto),
        registrations: regs.map((r) => ({
          id: r.id,
          contactId: r.contact_id,
          event: { id: r.event_id, title: r.event_title, startsAt: r.event_starts_at.toISOString() },
          status: r.status,
          source: r.source,
          consent: { text: r.consent_text, at: iso(r.consent_at) },
          sessions: sessions
            .filter((s) => s.registration_id === r.id)
            .map((s) => ({
              id: s.id,
              title: s.title,
              startsAt: s.starts_at.toISOString(),
              endsAt: s.ends_at.toISOString(),
            })),
          cancelledAt: iso(r.cancelled_at),
          createdAt: r.created_at.toISOString(),
          updatedAt: r.updated_at.toISOString(),
        })),
        checkIns: checkIns.map((c) => ({
          id: c.id,
          registrationId: c.registration_id,
          eventId: c.event_id,
          sessionId: c.session_id,
          kind: c.kind,
          webinarId: c.webinar_id,
          viewingMinutes: c.viewing_minutes,
          checkedInAt: c.checked_in_at.toISOString(),
        })),
        attendance: attendance.map((a) => ({
          registrationId: a.registration_id,
          webinarId: a.webinar_id,
          configurationId: a.configuration_id,
          liveMinutes: a.live_minutes,
          onDemandMinutes: a.on_demand_minutes,
          engagementScore: a.engagement_score,
          questionsAsked: a.questions_asked,
          pollsAnswered: a.polls_answered,
          resourcesDownloaded: a.resources_downloaded,
          firstActivityAt: iso(a.first_activity_at),
          lastActivityAt: iso(a.last_activity_at),
        })),
        providers: syncs.map((s) => ({
          registrationId: s.registration_id,
          webinarId: s.webinar_id,
          configurationId: s.configuration_id,
          configurationName: s.configuration_name,
          provider: s.provider,
          providerWebinarId: s.provider_webinar_id,
          fieldsSent: [...FIELDS_SENT_TO_PROVIDERS],
          state: s.state,
          desired: s.desired,
          providerRegistrantId: s.provider_registrant_id,
          joinUrl: s.join_url,
          attempts: s.attempts,
          firstQueuedAt: s.created_at.toISOString(),
          lastAttemptAt: iso(s.last_attempt_at),
          syncedAt: iso(s.synced_at),
        })),
      };
    },
  };
}

function toErasureDto(
  e: {
    id: string;
    requested_by: string | null;
    email_hash: string | null;
    contacts_erased: number;
    registrations_erased: number;
    created_at: Date;
  },
  parts: (ProviderErasureRow & { configuration_name: string | null })[],
) {
  const state: ProviderErasureState = parts.some((p) => p.state === "failed")
    ? "failed"
    : parts.some((p) => p.state === "pending")
      ? "pending"
      : "done";
  return {
    id: e.id,
    state,
    requestedBy: e.requested_by,
    reimportBlocked: e.email_hash !== null,
    contactsErased: e.contacts_erased,
    registrationsErased: e.registrations_erased,
    createdAt: e.created_at.toISOString(),
    providers: parts.map((p) => ({
      id: p.id,
      configurationId: p.configuration_id,
      configurationName: p.configuration_name,
      provider: p.provider,
      state: p.state,
      attempts: p.attempts,
      lastError: p.last_error,
      lastAttemptAt: iso(p.last_attempt_at),
      completedAt: iso(p.completed_at),
      createdAt: p.created_at.toISOString(),
    })),
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
export type ErasureDto = ReturnType<typeof toErasureDto>;
export type PersonExport = Awaited<ReturnType<PrivacyService["exportContact"]>>;
