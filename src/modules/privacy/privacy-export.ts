import type { Db } from "../../db/database.ts";
import { answerText } from "../../lib/answer-text.ts";
import { type ContactService, toContactDto } from "../contacts/contacts.service.ts";
import { toCampaignDto } from "../registrations/campaign.ts";
import { resultsOf } from "../registrations/results.ts";

/** The access export ("right of access") of one person (see privacy.service.ts). */

/** The fields a registration sync sends to a provider (see registration-sync.ts). */
export const FIELDS_SENT_TO_PROVIDERS = ["email", "firstName", "lastName", "company", "jobTitle"] as const;

/** ISO 8601 text of a timestamp, or null. */
export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Everything held about the contact's person (all contacts with the same address). */
export async function exportContact(
  deps: { db: Db; contacts: Pick<ContactService, "get"> },
  organizationId: string,
  contactId: string,
) {
  const { db, contacts } = deps;
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
    .select(["e.title as event_title", "e.starts_at as event_starts_at", "e.registration_questions"])
    .where("r.organization_id", "=", organizationId)
    .where("r.contact_id", "in", contactIds)
    .orderBy("r.id")
    .execute();
  const regIds = regs.map((r) => r.id);
  const none = regIds.length === 0;
  // The same results as the registrations CSV and API (registrations/results.ts).
  const results = await resultsOf(db, organizationId, regIds);
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
      campaign: toCampaignDto(r),
      results: results.get(r.id) ?? null,
      consent: { text: r.consent_text, at: iso(r.consent_at) },
      // The answers to the event's questions, in the words the person saw.
      answers: r.registration_questions
        .filter((q) => r.answers[q.id] !== undefined)
        .map((q) => ({ question: q.label, answer: answerText(q, r.answers[q.id]) })),
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
}
