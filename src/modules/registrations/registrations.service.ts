import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { ContactRow, Database, RegistrationRow } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { type ContactService, toContactDto } from "../contacts/contacts.service.ts";
import type { EventService } from "../events/events.service.ts";
import type { EmitWebhookEvent } from "../webhooks-out/emit.ts";
import { toCampaignDto } from "./campaign.ts";
import { createDoubleOptIn } from "./double-opt-in.ts";
import { createIntakeBatcher } from "./intake-batch.ts";
import { createPlaces } from "./places.ts";
import type { RegistrantNotices } from "./registrant-notices.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";
import { alreadyRegistered, personErased } from "./registration-errors.ts";
import { createCancellation } from "./registrations.cancel.ts";
import { type ListQuery, listRegistrationRows } from "./registrations.list.ts";
import { createRegisterMany } from "./registrations.many.ts";
import { createSubmitPublic } from "./registrations.public.ts";
import { createRegisterOne, type RegisterInput } from "./registrations.register.ts";
import type { RegistrationDto } from "./registrations.schemas.ts";
import { resultsOf } from "./results.ts";

type Trx = Transaction<Database>;
type Executor = Db | Trx;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toRegistrationDto(
  r: RegistrationRow,
  contact: ContactRow,
  sessionIds: string[],
): RegistrationDto {
  return {
    id: r.id,
    eventId: r.event_id,
    status: r.status,
    source: r.source,
    contact: toContactDto(contact),
    sessionIds,
    consentAt: iso(r.consent_at),
    answers: r.answers,
    campaign: toCampaignDto(r),
    cancelledAt: iso(r.cancelled_at),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Told, inside the writing transaction, which registrations changed status (the webinar sync plans from it). */
export type RegistrationsChanged = (trx: Trx, registrationIds: string[]) => Promise<void>;
/**
 * Whether an address must not be taken in (privacy's erasures), asked inside the writing
 * transaction. `salt`: the organization's privacy salt when the caller already read it (null:
 * it has none), which saves the hook a statement.
 */
export type IsSuppressed = (
  trx: Trx,
  organizationId: string,
  email: string,
  salt?: string | null,
) => Promise<boolean>;
/** The same for many addresses at once: those of them that must not be taken in. */
export type SuppressedAmong = (
  trx: Trx,
  organizationId: string,
  emails: string[],
  salt?: string | null,
) => Promise<Set<string>>;

/**
 * Registrations. Capacity decisions take the event row lock, so two registrations for the
 * last place cannot both get it; a freed place goes to the oldest waitlisted registration
 * in the same transaction that freed it.
 */
export function createRegistrationService(deps: {
  db: Db;
  contacts: ContactService;
  events: EventService;
  registrationsChanged: RegistrationsChanged;
  isSuppressed: IsSuppressed;
  suppressedAmong: SuppressedAmong;
  notices: RegistrantNotices;
  registrantSettings: Pick<RegistrantSettingsService, "effective">;
  /** Outgoing webhooks: registration.created, .confirmed, .cancelled (src/modules/webhooks-out). */
  emitWebhookEvent: EmitWebhookEvent;
  /** Group commit's batches in flight per event without a capacity (intake-batch.ts); 2 when not given. */
  batchesUncapped?: number;
}) {
  const { db, contacts, events, registrationsChanged, isSuppressed, notices, registrantSettings } = deps;
  const { emitWebhookEvent } = deps;
  const places = createPlaces({ events, registrationsChanged, notices, emitWebhookEvent });
  const { fillFromWaitlist } = places;
  // What confirming a double opt-in and cancelling both need: each moves a registration
  // into or out of a place (double-opt-in.ts, registrations.cancel.ts).
  const placeChanges = { db, events, places, notices, registrationsChanged, emitWebhookEvent };
  const doubleOptIn = createDoubleOptIn(placeChanges);

  async function sessionIdsOf(executor: Executor, registrationIds: string[]) {
    const map = new Map<string, string[]>();
    if (registrationIds.length === 0) return map;
    const rows = await executor
      .selectFrom("registration_sessions")
      .select(["registration_id", "session_id"])
      .where("registration_id", "in", registrationIds)
      .orderBy("session_id")
      .execute();
    for (const row of rows)
      map.set(row.registration_id, [...(map.get(row.registration_id) ?? []), row.session_id]);
    return map;
  }

  async function load(organizationId: string, id: string, executor: Executor = db): Promise<RegistrationDto> {
    const reg = await executor
      .selectFrom("registrations")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!reg) throw notFound("Registration");
    const contact = await contacts.get(organizationId, reg.contact_id, executor);
    return toRegistrationDto(reg, contact, (await sessionIdsOf(executor, [id])).get(id) ?? []);
  }

  // Registering one person (registrations.register.ts).
  const registerCore = createRegisterOne({
    contacts,
    places,
    isSuppressed,
    registrationsChanged,
    emitWebhookEvent,
  });

  /** Registers a person inside the caller's transaction (so an import or an idempotency record shares it). */
  async function registerIn(trx: Trx, organizationId: string, eventId: string, input: RegisterInput) {
    const outcome = await registerCore(trx, organizationId, eventId, input, false);
    if (outcome.kind === "erased") throw personErased();
    if (outcome.kind === "already_registered")
      throw alreadyRegistered(outcome.status, input.contactId !== undefined ? "contactId" : "contact.email");
    return { registration: outcome.registration, cancelToken: outcome.cancelToken };
  }

  // The API's registrations: group commit, or one by one (intake-batch.ts).
  const intake = createIntakeBatcher({
    db,
    maxInFlightUncapped: deps.batchesUncapped,
    registerIn,
    registerMany: createRegisterMany({
      contacts,
      places,
      suppressedAmong: deps.suppressedAmong,
      registrationsChanged,
      emitWebhookEvent,
    }),
  });

  // Cancelling, and waitlist promotion when places free (registrations.cancel.ts).
  const cancellation = createCancellation({ ...placeChanges, load });

  return {
    load,
    registerIn,
    fillFromWaitlist,
    /** Each registration's attendance results (results.ts), keyed by id. */
    results: (organizationId: string, ids: string[]) => resultsOf(db, organizationId, ids),

    async register(organizationId: string, eventId: string, input: RegisterInput) {
      return db.transaction().execute((trx) => registerIn(trx, organizationId, eventId, input));
    },

    /** The API's registrations, through group commit (intake-batch.ts). */
    intake: intake.submit,

    /** The public form (registrations.public.ts). */
    submitPublic: createSubmitPublic({
      db,
      registrantSettings,
      notices,
      registerPublic: (trx, organizationId, eventId, input) =>
        registerCore(trx, organizationId, eventId, input, true),
    }),

    cancel: cancellation.cancel,
    /** Cancels a registration the caller has locked (a provider's cancellation, webinars/webhooks/apply.ts). */
    cancelLocked: cancellation.cancelLocked,
    /** Cancels with the secret from a public registration's confirmation; unknown secrets are 404. */
    cancelByToken: cancellation.cancelByToken,

    /** Double opt-in: the click on the emailed link (double-opt-in.ts). */
    confirmByToken: doubleOptIn.confirm,
    /** Deletes registrations whose confirmation link lapsed; the sweep job calls it. */
    expireUnconfirmed: doubleOptIn.expire,

    /** After an event's capacity grows, waitlisted people move up (in `trx` when given). */
    refillEvent: cancellation.refillEvent,

    /** The registrations table: filters, sort and keyset pages (registrations.list.ts). */
    async list(organizationId: string, eventId: string, query: ListQuery) {
      await events.get(organizationId, eventId);
      const page = await listRegistrationRows(db, organizationId, eventId, query);
      const sessions = await sessionIdsOf(
        db,
        page.rows.map((r) => r.id),
      );
      return {
        data: page.rows.map((r) =>
          toRegistrationDto(
            r,
            {
              id: r.contact_id,
              organization_id: r.organization_id,
              first_name: r.first_name,
              last_name: r.last_name,
              email: r.email,
              email_normalized: r.email_normalized,
              company: r.company,
              job_title: r.job_title,
              created_at: r.contact_created_at,
              updated_at: r.contact_updated_at,
            },
            sessions.get(r.id) ?? [],
          ),
        ),
        nextCursor: page.nextCursor,
        total: page.total,
      };
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
