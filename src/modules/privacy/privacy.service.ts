import type { Db } from "../../db/database.ts";
import type { ProviderErasureRow, ProviderErasureState } from "../../db/schema-privacy.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import type { Envelope } from "../../keys/index.ts";
import { normalizeEmail } from "../../lib/email-address.ts";
import { notFound } from "../../lib/errors.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import type { AuditWrite } from "../audit/audit.service.ts";
import type { ContactService } from "../contacts/contacts.service.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import type { EmitWebhookEvent } from "../webhooks-out/emit.ts";
import { type EraseOptions, eraseIn } from "./privacy-erasure.ts";
import { exportContact, iso } from "./privacy-export.ts";
import { isSuppressed } from "./suppression.ts";

export type { EraseOptions } from "./privacy-erasure.ts";
export { FIELDS_SENT_TO_PROVIDERS } from "./privacy-export.ts";

/**
 * Erasure ("right to be forgotten") and access export ("right of access") of one person,
 * identified by their normalized email within an organization.
 *
 * Erasure removes every local trace in one transaction and creates one tracked provider
 * erasure per provider account that ever received the person; the `person.erase` job
 * (webinars/sync/erase-handler.ts) drives each of those to done. The address the provider needs is kept
 * only envelope-sealed on the provider erasure row and wiped when the provider confirms.
 */
export function createPrivacyService(deps: {
  db: Db;
  queue: JobQueue;
  envelope: Envelope;
  contacts: ContactService;
  registrations: Pick<RegistrationService, "refillEvent">;
  /** Outgoing webhooks: erasure.completed. */
  emitWebhookEvent: EmitWebhookEvent;
}) {
  const { db, contacts } = deps;

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
    async eraseContact(organizationId: string, contactId: string, options: EraseOptions, audit?: AuditWrite) {
      const contact = await contacts.get(organizationId, contactId);
      const id = await db.transaction().execute(async (trx) => {
        await audit?.(trx);
        return eraseIn(deps, trx, organizationId, contact.email_normalized, options);
      });
      return loadErasure(organizationId, id);
    },

    /** For the CLI (`auditorium privacy erase --email`): erases whoever has this address. */
    async eraseByEmail(organizationId: string, email: string, options: EraseOptions = { requestedBy: null }) {
      const id = await db
        .transaction()
        .execute((trx) => eraseIn(deps, trx, organizationId, normalizeEmail(email), options));
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
    exportContact: (organizationId: string, contactId: string) =>
      exportContact({ db, contacts }, organizationId, contactId),
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
      /**
       * What the provider still keeps of the person after the erasure (data its API cannot
       * delete, webinars where it refused), in words; empty when it kept nothing we know of.
       */
      retainedByProvider: p.retained ?? [],
      lastAttemptAt: iso(p.last_attempt_at),
      completedAt: iso(p.completed_at),
      createdAt: p.created_at.toISOString(),
    })),
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
export type ErasureDto = ReturnType<typeof toErasureDto>;
export type PersonExport = Awaited<ReturnType<PrivacyService["exportContact"]>>;
