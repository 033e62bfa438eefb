import { sql, type Transaction } from "kysely";
import type { ContactRow, Database, RegistrationSource, RegistrationStatus } from "../../db/schema.ts";
import { AppError, unprocessable } from "../../lib/errors.ts";
import { hashToken, newSecretToken, uuidv7 } from "../../lib/ids.ts";
import type { PersonInput } from "../contacts/contacts.schemas.ts";
import type { ContactService } from "../contacts/contacts.service.ts";
import { checkAnswers } from "../events/registration-questions.ts";
import type { EmitWebhookEvent } from "../webhooks-out/emit.ts";
import { type Campaign, NO_CAMPAIGN } from "./campaign.ts";
import type { Places } from "./places.ts";
import { eventCancelled, unknownSession } from "./registration-errors.ts";
import type { RegistrationDto } from "./registrations.schemas.ts";
import { type IsSuppressed, type RegistrationsChanged, toRegistrationDto } from "./registrations.service.ts";

type Trx = Transaction<Database>;

export interface RegisterInput {
  contactId?: string | undefined;
  contact?: PersonInput | undefined;
  sessionIds: string[];
  source: RegistrationSource;
  consentText?: string | null | undefined;
  /**
   * Answers to the event's questions, checked against them (a bad one is a 422 naming it).
   * Imports carry none and skip the check: an organiser's list cannot answer for its people.
   */
  answers?: Record<string, unknown> | undefined;
  /** UTM parameters and referrer (checked by `parseCampaign`); none when absent. */
  campaign?: Campaign | undefined;
  /** Public registrations get a secret with which the registrant can cancel. */
  withCancelToken?: boolean;
  /** Double opt-in: the registration waits this many hours for its person's click. */
  confirmWithinHours?: number;
}

/**
 * How registering a person ended. The API and imports turn the last two into errors; the
 * public form must not (it would tell the typist about the address's owner).
 */
export type Outcome =
  | {
      kind: "created";
      registration: RegistrationDto;
      cancelToken: string | null;
      confirmation: { token: string; expiresAt: Date } | null;
    }
  | { kind: "already_registered"; registrationId: string; status: RegistrationStatus }
  | { kind: "erased" };

/**
 * Registering one person: the API one by one, imports and the public form
 * (registrations.many.ts makes the same decisions for a batch). Capacity decisions take the
 * event row lock (places.ts), so two registrations for the last place cannot both get it.
 */
export function createRegisterOne(deps: {
  contacts: Pick<ContactService, "get" | "resolve" | "matchingRule">;
  places: Pick<Places, "lockForRegistration" | "statusForNewcomer">;
  isSuppressed: IsSuppressed;
  registrationsChanged: RegistrationsChanged;
  emitWebhookEvent: EmitWebhookEvent;
}) {
  const { contacts, places, isSuppressed, registrationsChanged, emitWebhookEvent } = deps;
  const { lockForRegistration, statusForNewcomer } = places;

  async function validateSessions(trx: Trx, eventId: string, sessionIds: string[]) {
    const unique = [...new Set(sessionIds)];
    if (unique.length === 0) return unique;
    const found = await trx
      .selectFrom("event_sessions")
      .select("id")
      .where("event_id", "=", eventId)
      .where("id", "in", unique)
      .execute();
    if (found.length !== unique.length) throw unknownSession();
    return unique;
  }

  /**
   * Registers a person, or finds why not. `publicForm`: the person is whoever typed the
   * address, so an existing contact is matched but never changed.
   */
  async function registerCore(
    trx: Trx,
    organizationId: string,
    eventId: string,
    input: RegisterInput,
    publicForm: boolean,
  ): Promise<Outcome> {
    const { event, rule, waiting, salt, createdEndpoints } = await lockForRegistration(
      trx,
      organizationId,
      eventId,
    );
    if (event.status === "cancelled") throw eventCancelled();
    const sessionIds = await validateSessions(trx, eventId, input.sessionIds);
    const answers =
      input.source === "import" ? {} : checkAnswers(event.registration_questions, input.answers);
    let contact: ContactRow;
    let created = false;
    if (input.contactId !== undefined) {
      contact = await contacts.get(organizationId, input.contactId, trx).catch((error: unknown) => {
        // Only "not found" is the caller's mistake; a database failure stays a server error.
        if (error instanceof AppError && error.status === 404)
          throw unprocessable("unknown_contact", "No such contact", "contactId");
        throw error;
      });
    } else if (input.contact) {
      if (await isSuppressed(trx, organizationId, input.contact.email, salt)) return { kind: "erased" };
      ({ contact, created } = await contacts.resolve(
        trx,
        organizationId,
        rule ?? (await contacts.matchingRule(organizationId, trx)),
        input.contact,
        { keepExisting: publicForm },
      ));
    } else {
      throw unprocessable("contact_required", "A contact or contactId is required", "contact");
    }
    // A contact created just now has no registrations (nobody else can see it yet).
    const existing = created
      ? undefined
      : await trx
          .selectFrom("registrations")
          .select(["id", "status"])
          .where("event_id", "=", eventId)
          .where("contact_id", "=", contact.id)
          .where("status", "<>", "cancelled")
          .executeTakeFirst();
    if (existing) return { kind: "already_registered", registrationId: existing.id, status: existing.status };
    // Double opt-in: no place is taken until the person confirms (double-opt-in.ts).
    const pending = input.confirmWithinHours !== undefined;
    const status: RegistrationStatus = pending
      ? "pending_confirmation"
      : await statusForNewcomer(trx, event, waiting);
    const cancelToken = input.withCancelToken && !pending ? newSecretToken() : null;
    const confirmToken = pending ? newSecretToken() : null;
    const now = new Date();
    const expiresAt = pending ? new Date(now.getTime() + (input.confirmWithinHours ?? 0) * 3_600_000) : null;
    const reg = await trx
      .insertInto("registrations")
      .values({
        id: uuidv7(),
        organization_id: organizationId,
        event_id: eventId,
        contact_id: contact.id,
        status,
        source: input.source,
        consent_text: input.consentText ?? null,
        consent_at: input.consentText ? now : null,
        answers: JSON.stringify(answers),
        cancel_token_hash: cancelToken ? hashToken(cancelToken) : null,
        confirm_token_hash: confirmToken ? hashToken(confirmToken) : null,
        confirmation_expires_at: expiresAt,
        ...(input.campaign ?? NO_CAMPAIGN),
        // The insert's own clock, under the event lock: waitlist order is the order places were decided.
        created_at: sql<Date>`clock_timestamp()`,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (sessionIds.length > 0) {
      await trx
        .insertInto("registration_sessions")
        .values(
          sessionIds.map((session_id) => ({
            registration_id: reg.id,
            session_id,
            organization_id: organizationId,
          })),
        )
        .execute();
    }
    if (status === "registered") await registrationsChanged(trx, [reg.id]);
    await emitWebhookEvent(
      trx,
      organizationId,
      "registration.created",
      {
        registrationId: reg.id,
        eventId,
        contactId: contact.id,
        status,
        source: input.source,
        sessionIds: [...sessionIds].sort(),
      },
      createdEndpoints,
    );
    return {
      kind: "created",
      registration: toRegistrationDto(reg, contact, sessionIds.sort()),
      cancelToken,
      confirmation: confirmToken && expiresAt ? { token: confirmToken, expiresAt } : null,
    };
  }

  return registerCore;
}
