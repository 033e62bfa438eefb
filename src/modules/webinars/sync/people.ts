import { sql, type Transaction } from "kysely";
import type { Database } from "../../../db/schema.ts";
import { normalizeEmail } from "../../../lib/email-address.ts";
import { uuidv7 } from "../../../lib/ids.ts";
import type { ContactService } from "../../contacts/contacts.service.ts";
import { isSuppressed } from "../../privacy/suppression.ts";

type Trx = Transaction<Database>;

/** The webinar fields people are matched within. */
export interface WebinarRef {
  id: string;
  organization_id: string;
  configuration_id: string;
  event_id: string;
  session_id: string | null;
}

/** Someone the provider reports (attendance, a registrant or participant webhook). */
export interface ProviderPerson {
  providerRegistrantId: string | null;
  email: string | null;
  firstName?: string | null;
  lastName?: string | null;
  company?: string | null;
  jobTitle?: string | null;
}

/**
 * Who a provider's person is on our side — the one matching rule shared by the metrics poll
 * and webhooks: the provider's registrant id at this webinar first, else the email among the
 * event's live registrations. People we do not know (registered directly at the provider,
 * walk-ins) are matched to contacts by the organization's rule and added as registrations
 * with source "provider" — unless they were erased.
 */
export function createPeopleMatcher(deps: {
  contacts: Pick<ContactService, "matchOrCreate" | "matchingRule">;
}) {
  const { contacts } = deps;

  /**
   * Registration ids in the order of `people`; undefined where nobody matches. The ids and
   * addresses go to the server as one array parameter each, never one bind per person: a
   * webinar's attendee list can be far longer than PostgreSQL's 65,535 binds per statement.
   */
  async function match(trx: Trx, webinar: WebinarRef, people: ProviderPerson[]) {
    const ids = people.flatMap((p) => (p.providerRegistrantId ? [p.providerRegistrantId] : []));
    const byProviderId = new Map<string, string>();
    if (ids.length > 0) {
      const rows = await trx
        .selectFrom("registration_syncs")
        .select(["registration_id", "provider_registrant_id"])
        .where("webinar_id", "=", webinar.id)
        .where(sql<boolean>`provider_registrant_id = ANY(${ids}::text[])`)
        .execute();
      for (const r of rows) byProviderId.set(r.provider_registrant_id as string, r.registration_id);
    }
    const emails = people
      .filter((p) => !(p.providerRegistrantId && byProviderId.has(p.providerRegistrantId)) && p.email)
      .map((p) => normalizeEmail(p.email as string));
    const byEmail = new Map<string, string>();
    if (emails.length > 0) {
      const rows = await trx
        .selectFrom("registrations as r")
        .innerJoin("contacts as c", "c.id", "r.contact_id")
        .select(["r.id", "c.email_normalized"])
        .where("r.event_id", "=", webinar.event_id)
        .where("r.status", "<>", "cancelled")
        .where(sql<boolean>`c.email_normalized = ANY(${emails}::text[])`)
        .execute();
      for (const row of rows) byEmail.set(row.email_normalized, row.id);
    }
    return people.map(
      (p) =>
        (p.providerRegistrantId ? byProviderId.get(p.providerRegistrantId) : undefined) ??
        (p.email ? byEmail.get(normalizeEmail(p.email)) : undefined),
    );
  }

  /** Like `match`, adding the unknown (with an address, not erased) as provider registrations. */
  async function matchOrAdd(trx: Trx, webinar: WebinarRef, people: ProviderPerson[]) {
    const found = await match(trx, webinar, people);
    let rule: Awaited<ReturnType<ContactService["matchingRule"]>> | undefined;
    for (const [i, person] of people.entries()) {
      if (found[i] || !person.email) continue;
      // Someone erased (or being erased at the provider) is not brought back by provider data.
      if (await isSuppressed(trx, webinar.organization_id, person.email)) continue;
      rule ??= await contacts.matchingRule(webinar.organization_id, trx);
      found[i] = await addWalkIn(trx, webinar, rule, person as ProviderPerson & { email: string });
    }
    return found;
  }

  async function addWalkIn(
    trx: Trx,
    webinar: WebinarRef,
    rule: Awaited<ReturnType<ContactService["matchingRule"]>>,
    person: ProviderPerson & { email: string },
  ) {
    const contact = await contacts.matchOrCreate(trx, webinar.organization_id, rule, {
      email: person.email,
      firstName: person.firstName || "(unknown)",
      lastName: person.lastName || "(unknown)",
      company: person.company ?? null,
      jobTitle: person.jobTitle ?? null,
    });
    const existing = await trx
      .selectFrom("registrations")
      .select("id")
      .where("event_id", "=", webinar.event_id)
      .where("contact_id", "=", contact.id)
      .where("status", "<>", "cancelled")
      .executeTakeFirst();
    if (existing) return existing.id;
    const id = uuidv7();
    await trx
      .insertInto("registrations")
      .values({
        id,
        organization_id: webinar.organization_id,
        event_id: webinar.event_id,
        contact_id: contact.id,
        status: "registered",
        source: "provider",
        updated_at: new Date(),
      })
      .execute();
    if (webinar.session_id) {
      await trx
        .insertInto("registration_sessions")
        .values({
          registration_id: id,
          session_id: webinar.session_id,
          organization_id: webinar.organization_id,
        })
        .execute();
    }
    return id;
  }

  return { match, matchOrAdd };
}

export type PeopleMatcher = ReturnType<typeof createPeopleMatcher>;
