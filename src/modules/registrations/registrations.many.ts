import type { Transaction } from "kysely";
import { runFixed } from "../../db/fixed-statement.ts";
import type { ContactMatching, Database, RegistrationRow, RegistrationStatus } from "../../db/schema.ts";
import { normalizeEmail } from "../../lib/email-address.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { PersonInput } from "../contacts/contacts.schemas.ts";
import type { ContactService } from "../contacts/contacts.service.ts";
import { checkAnswers } from "../events/registration-questions.ts";
import type { EmitWebhookEvent } from "../webhooks-out/emit.ts";
import { CAMPAIGN_COLUMNS, NO_CAMPAIGN } from "./campaign.ts";
import type { Places } from "./places.ts";
import { alreadyRegistered, eventCancelled, personErased, unknownSession } from "./registration-errors.ts";
import type { RegisterInput } from "./registrations.register.ts";
import type { RegistrationDto } from "./registrations.schemas.ts";
import { type SuppressedAmong, toRegistrationDto } from "./registrations.service.ts";

type Trx = Transaction<Database>;

/** A registration by a person's details, as the API takes it (no contactId, no double opt-in, no secrets). */
export type ManyInput = RegisterInput & { contact: PersonInput };

/** How one of many ended: made, refused (its own 4xx), or left to run by itself after the batch. */
export type ManyOutcome =
  | { kind: "created"; registration: RegistrationDto }
  | { kind: "failed"; error: unknown }
  | { kind: "alone" };

/** The outcomes in the inputs' order, and whether the event has a capacity (its batches then queue on its exclusive lock). */
export interface ManyResult {
  outcomes: ManyOutcome[];
  capped: boolean;
}

/** Whom the rule would take for the same contact: two such in one batch cannot both be new. */
export function matchKey(rule: ContactMatching, person: PersonInput) {
  const email = normalizeEmail(person.email);
  const name = `${person.firstName.trim().toLowerCase()}\u0000${person.lastName.trim().toLowerCase()}`;
  return rule === "email" ? email : rule === "name" ? name : `${email}\u0000${name}`;
}

/**
 * The batch's registrations in one fixed statement (db/fixed-statement.ts): $1 the ids in
 * batch order, $2 the organization, $3 the event, $4 the time of the change, then one array
 * per column ($9: whether consent was given, which dates it). `created_at` is the insert's own
 * clock, read row by row in batch order under the event lock: the waitlist's order.
 *
 * It also tells whether the event has an active webinar (`webinars_active`): when it has
 * none, the webinar planner would find nothing to do, and its statement is skipped. Read
 * here, after the event lock, with this statement's own snapshot, it is as fresh as the
 * planner's own read would be (the event read's snapshot is taken before it waits for the
 * lock, so it could miss a webinar committed meanwhile).
 */
const INSERT_REGISTRATIONS = `with inserted as (insert into registrations (id, organization_id, event_id, contact_id, status, source,
    consent_text, consent_at, answers, ${CAMPAIGN_COLUMNS.join(", ")}, created_at, updated_at)
  select r.id, $2::uuid, $3::uuid, r.contact_id, r.status, r.source,
    r.consent_text, case when r.consented then $4::timestamptz end, r.answers::jsonb,
    ${CAMPAIGN_COLUMNS.map((c) => `r.${c}`).join(", ")},
    clock_timestamp(), $4::timestamptz
  from unnest($1::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::text[],
      $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
    with ordinality as r(id, contact_id, status, source, consent_text, consented, answers,
      ${CAMPAIGN_COLUMNS.join(", ")}, ord)
  order by r.ord
  returning *)
select inserted.*, exists (select 1 from webinars where event_id = $3::uuid and desired = 'active') as webinars_active
from inserted`;

/**
 * Registers many people for one event in the caller's transaction with a fixed number of
 * statements, whatever their number (group commit, intake-batch.ts): the event lock, the
 * sessions, the erasures, the contacts, the duplicates, the places, and one multi-row insert
 * each for registrations, their sessions, the webinar sync jobs and the webhooks. It decides
 * every refusal (unknown session, bad answers, erased, already registered) before it writes
 * anything, so a refused registration leaves no trace and never fails its neighbours. People
 * whom the rule takes for the same contact as an earlier one in the batch come back `alone`:
 * after the batch they are registered (or told they already are) one by one.
 *
 * The same decisions as `registerCore` (registrations.register.ts) for one person; places go
 * to the batch in its order, then the waitlist. `created_at` is the insert's own clock,
 * taken under the event lock, so waitlist order follows the order places were decided.
 */
export function createRegisterMany(deps: {
  contacts: Pick<ContactService, "resolveMany" | "fillIn" | "matchingRule">;
  places: Pick<Places, "lockForRegistration" | "freePlaces">;
  suppressedAmong: SuppressedAmong;
  registrationsChanged: (trx: Trx, registrationIds: string[]) => Promise<void>;
  emitWebhookEvent: EmitWebhookEvent;
}) {
  const { contacts, places, suppressedAmong, registrationsChanged, emitWebhookEvent } = deps;

  return async function registerMany(
    trx: Trx,
    organizationId: string,
    eventId: string,
    inputs: ManyInput[],
  ): Promise<ManyResult> {
    const outcomes: ManyOutcome[] = inputs.map(() => ({ kind: "alone" }));
    const {
      event,
      rule: glancedRule,
      waiting,
      salt,
      createdEndpoints,
    } = await places.lockForRegistration(trx, organizationId, eventId);
    const capped = event.capacity !== null;
    if (event.status === "cancelled")
      return { outcomes: inputs.map(() => ({ kind: "failed", error: eventCancelled() })), capped };
    const rule = glancedRule ?? (await contacts.matchingRule(organizationId, trx));

    // Refusals first, in memory and by reads only.
    const asked = [...new Set(inputs.flatMap((i) => i.sessionIds))];
    const sessions = new Set(
      asked.length === 0
        ? []
        : (
            await trx
              .selectFrom("event_sessions")
              .select("id")
              .where("event_id", "=", eventId)
              .where("id", "in", asked)
              .execute()
          ).map((s) => s.id),
    );
    const suppressed = await suppressedAmong(
      trx,
      organizationId,
      inputs.map((i) => i.contact.email),
      salt,
    );
    const seen = new Set<string>();
    const checkedAnswers = new Map<ManyInput, Record<string, unknown>>();
    /** Why this one cannot be registered, "alone" when it must wait for the batch, else undefined. */
    const refusalOf = (input: ManyInput): { error: unknown } | "alone" | undefined => {
      const key = matchKey(rule, input.contact);
      if (seen.has(key)) return "alone";
      seen.add(key);
      if (input.sessionIds.some((id) => !sessions.has(id))) return { error: unknownSession() };
      try {
        checkedAnswers.set(
          input,
          input.source === "import" ? {} : checkAnswers(event.registration_questions, input.answers),
        );
      } catch (error) {
        return { error };
      }
      if (suppressed.has(input.contact.email)) return { error: personErased() };
      return undefined;
    };
    const going: { index: number; input: ManyInput; answers: Record<string, unknown> }[] = [];
    for (const [index, input] of inputs.entries()) {
      const refusal = refusalOf(input);
      if (refusal === "alone") continue;
      if (refusal) outcomes[index] = { kind: "failed", error: refusal.error };
      else going.push({ index, input, answers: checkedAnswers.get(input) ?? {} });
    }

    const resolved = await contacts.resolveMany(
      trx,
      organizationId,
      rule,
      going.map((g) => g.input.contact),
    );
    const knownIds = resolved.filter((r) => !r.created).map((r) => r.contact.id);
    const active = new Map(
      knownIds.length === 0
        ? []
        : (
            await trx
              .selectFrom("registrations")
              .select(["contact_id", "status"])
              .where("event_id", "=", eventId)
              .where("contact_id", "in", knownIds)
              .where("status", "<>", "cancelled")
              .execute()
          ).map((r) => [r.contact_id, r.status]),
    );
    const admitted: ((typeof going)[number] & (typeof resolved)[number])[] = [];
    for (const [n, g] of going.entries()) {
      const { contact, created } = resolved[n] as (typeof resolved)[number];
      const status = active.get(contact.id);
      if (status) outcomes[g.index] = { kind: "failed", error: alreadyRegistered(status, "contact.email") };
      else admitted.push({ ...g, contact, created });
    }
    if (admitted.length === 0) return { outcomes, capped };

    // Writes: only for the admitted (new contacts were written with the lookup).
    for (const a of admitted)
      if (!a.created) a.contact = await contacts.fillIn(trx, a.contact, a.input.contact);
    const free = await places.freePlaces(trx, event, waiting);
    // Sorted ids in batch order: the waitlist's tie-break (created_at, id) keeps that order.
    const ids = admitted.map(() => uuidv7()).sort();
    const campaigns = admitted.map((a) => a.input.campaign ?? NO_CAMPAIGN);
    const rows = await runFixed<RegistrationRow & { webinars_active: boolean }>(trx, INSERT_REGISTRATIONS, [
      ids,
      organizationId,
      eventId,
      new Date(),
      admitted.map((a) => a.contact.id),
      admitted.map((_a, n): RegistrationStatus => (n < free ? "registered" : "waitlisted")),
      admitted.map((a) => a.input.source),
      admitted.map((a) => a.input.consentText ?? null),
      admitted.map((a) => Boolean(a.input.consentText)),
      admitted.map((a) => JSON.stringify(a.answers)),
      ...CAMPAIGN_COLUMNS.map((column) => campaigns.map((c) => c[column])),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const sessionRows = admitted.flatMap((a, n) =>
      [...new Set(a.input.sessionIds)].map((session_id) => ({
        registration_id: ids[n] as string,
        session_id,
        organization_id: organizationId,
      })),
    );
    if (sessionRows.length > 0) await trx.insertInto("registration_sessions").values(sessionRows).execute();
    const placed = rows.filter((r) => r.status === "registered").map((r) => r.id);
    if (placed.length > 0 && rows[0]?.webinars_active) await registrationsChanged(trx, placed);
    await emitWebhookEvent(
      trx,
      organizationId,
      "registration.created",
      admitted.map((a, n) => ({
        registrationId: ids[n] as string,
        eventId,
        contactId: a.contact.id,
        status: byId.get(ids[n] as string)?.status,
        source: a.input.source,
        sessionIds: [...new Set(a.input.sessionIds)].sort(),
      })),
      createdEndpoints,
    );
    admitted.forEach((a, n) => {
      const row = byId.get(ids[n] as string);
      if (!row) throw new Error("a registration was not stored");
      outcomes[a.index] = {
        kind: "created",
        registration: toRegistrationDto(row, a.contact, [...new Set(a.input.sessionIds)].sort()),
      };
    });
    return { outcomes, capped };
  };
}
