import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { registrationCalendar } from "../../lib/calendar/calendar.ts";
import type { EmailService } from "../email/email.service.ts";
import type { JoinLinkOf } from "./registrant-notices.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";
import { eventChangeNotice, eventFacts, messageLanguage } from "./registrant-templates.ts";

type Trx = Transaction<Database>;

/**
 * Reschedule and event-cancellation notices. The events module fires its hooks in the
 * changing transaction; here they only queue a `registration.event_changed` job (a
 * reschedule may concern thousands of people: not work for an admin's request). The job
 * compares the event's `calendar_sequence` (raised by triggers on every reschedule and on
 * cancellation, migration 0131) with the sequence registrants were last told about, and
 * if it is higher sends each public registrant the change with the updated `.ics` (same
 * UID, higher SEQUENCE; STATUS:CANCELLED for a cancellation), then records the sequence,
 * in one transaction: a job run twice sends nothing the second time.
 */
export function createEventNotices(deps: {
  db: Db;
  queue: Pick<JobQueue, "send">;
  email: Pick<EmailService, "enqueue" | "branding">;
  senders: Pick<RegistrantSettingsService, "auditoriumSends">;
  /** The registrant's join link (the webinar module's one rule), passed in by the composition root. */
  joinLinkOf: JoinLinkOf;
  publicUrl: string;
}) {
  const { db, queue, email, senders, joinLinkOf } = deps;
  const base = deps.publicUrl.replace(/\/$/, "");
  const uidDomain = new URL(deps.publicUrl).hostname;

  return {
    /** For the events hooks: queue the check in the changing transaction. */
    async changed(trx: Trx, eventId: string) {
      await queue.send(trx, "registration.event_changed", { eventId });
    },

    /** Sends what the event's changes call for; answers how many notices were queued. */
    async run(eventId: string): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const event = await trx
          .selectFrom("events")
          .selectAll()
          .where("id", "=", eventId)
          .forUpdate()
          .executeTakeFirst();
        if (!event || event.calendar_sequence <= event.notified_calendar_sequence) return 0;
        await trx
          .updateTable("events")
          .set({ notified_calendar_sequence: event.calendar_sequence })
          .where("id", "=", eventId)
          .execute();
        if (event.status === "draft" || !(await senders.auditoriumSends(trx, eventId))) return 0;
        const change = event.status === "cancelled" ? ("cancelled" as const) : ("rescheduled" as const);
        const people = await trx
          .selectFrom("registrations as r")
          .innerJoin("contacts as c", "c.id", "r.contact_id")
          .select(["r.id", "r.event_id", "r.status", "c.email", "c.first_name"])
          .where("r.event_id", "=", eventId)
          .where("r.cancel_token_hash", "is not", null)
          .where("r.status", "in", change === "cancelled" ? ["registered", "waitlisted"] : ["registered"])
          .orderBy("r.id")
          .execute();
        const language = messageLanguage(event.language);
        const branding = await email.branding(trx, event.organization_id);
        const facts = eventFacts(event);
        for (const person of people) {
          const joinUrl = change === "rescheduled" ? await joinLinkOf(trx, person) : null;
          const rendered = await eventChangeNotice({
            language,
            branding,
            firstName: person.first_name,
            event: facts,
            change,
            joinUrl,
          });
          const calendar = registrationCalendar({
            registrationId: person.id,
            registrationStatus: person.status,
            event: {
              title: event.title,
              description: event.description,
              startsAt: event.starts_at,
              endsAt: event.ends_at,
              timeZone: event.time_zone,
              status: event.status,
              calendarSequence: event.calendar_sequence,
            },
            joinUrl,
            pageUrl: `${base}/e/${event.slug}`,
            uidDomain,
          });
          await email.enqueue(trx, {
            organizationId: event.organization_id,
            to: person.email,
            kind: change === "cancelled" ? "registration.event_cancelled" : "registration.rescheduled",
            language,
            ...rendered,
            attachments: [
              {
                filename: `${event.slug}.ics`,
                contentType: "text/calendar; method=PUBLISH",
                content: calendar,
              },
            ],
            registrationId: person.id,
          });
        }
        return people.length;
      });
    },
  };
}

export type EventNotices = ReturnType<typeof createEventNotices>;
