import type { Transaction } from "kysely";
import QRCode from "qrcode";
import type { Database } from "../../db/schema.ts";
import { registrationCalendar } from "../../lib/calendar/calendar.ts";
import type { EmailService } from "../email/email.service.ts";
import type { RegistrantNotices } from "./registrant-notices.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";
import {
  alreadyRegistered,
  alreadyRegisteredSubject,
  type Common,
  cancellationNotice,
  confirmationRequest,
  confirmationRequestSubject,
  confirmationSubject,
  type EventFacts,
  eventFacts,
  messageLanguage,
  registrationConfirmation,
} from "./registrant-templates.ts";

type Trx = Transaction<Database>;

/**
 * Registrant notices as email, through the outbox (`email.enqueue` in the caller's
 * transaction). Links point at the public URL: the registrant's page (`/r/{token}`), the
 * personal join link (`…/{token}/join`, which follows to the provider's link for this
 * person once issued) and the double opt-in page (`/c/{token}`, a page, so a mail scanner
 * that fetches links does not confirm anyone). Secrets are marked `hidden`, so the outbox
 * shows them masked. Language: the event's (contacts carry none).
 */
export function createRegistrantEmails(deps: {
  email: Pick<EmailService, "enqueue" | "branding" | "renderLater">;
  publicUrl: string;
  senders: Pick<RegistrantSettingsService, "auditoriumSends">;
}): RegistrantNotices {
  const { email, senders } = deps;
  const base = deps.publicUrl.replace(/\/$/, "");
  const uidDomain = new URL(deps.publicUrl).hostname;

  async function context(trx: Trx, registrationId: string) {
    const row = await trx
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .innerJoin("events as e", "e.id", "r.event_id")
      .select([
        "r.id",
        "r.organization_id",
        "r.event_id",
        "r.status",
        "c.email",
        "c.first_name",
        "e.title",
        "e.description",
        "e.slug",
        "e.starts_at",
        "e.ends_at",
        "e.time_zone",
        "e.language",
        "e.format",
        "e.status as event_status",
        "e.calendar_sequence",
      ])
      .where("r.id", "=", registrationId)
      .executeTakeFirstOrThrow();
    const event = eventFacts(row);
    const language = messageLanguage(row.language);
    const branding = await email.branding(trx, row.organization_id);
    return {
      row,
      event,
      language,
      branding,
      common: { language, branding, firstName: row.first_name, event },
    };
  }

  type ContextRow = Awaited<ReturnType<typeof context>>["row"];
  type CalendarFacts = Pick<
    ContextRow,
    | "id"
    | "title"
    | "description"
    | "slug"
    | "starts_at"
    | "ends_at"
    | "time_zone"
    | "format"
    | "event_status"
    | "calendar_sequence"
  >;

  function calendarOf(row: CalendarFacts, joinUrl: string | null, status: string) {
    return registrationCalendar({
      registrationId: row.id,
      registrationStatus: status,
      event: {
        title: row.title,
        description: row.description,
        startsAt: row.starts_at,
        endsAt: row.ends_at,
        timeZone: row.time_zone,
        status: row.event_status,
        calendarSequence: row.calendar_sequence,
      },
      joinUrl: row.format !== "onsite" ? joinUrl : null,
      pageUrl: `${base}/e/${row.slug}`,
      uidDomain,
    });
  }

  /**
   * What a confirmation says, taken in the registering transaction and rendered later by the
   * email worker (`renderConfirmation`): the request writes the outbox row only. JSON, so
   * dates travel as ISO strings.
   */
  interface ConfirmationFacts {
    registrationId: string;
    status: "registered" | "waitlisted";
    promoted: boolean;
    pageToken: string;
    firstName: string;
    language: ReturnType<typeof messageLanguage>;
    branding: Awaited<ReturnType<EmailService["branding"]>>;
    event: {
      title: string;
      description: ContextRow["description"];
      slug: string;
      startsAt: string;
      endsAt: string;
      timeZone: string;
      format: ContextRow["format"];
      status: ContextRow["event_status"];
      calendarSequence: number;
    };
  }
  const CONFIRMATION = "registration.confirmation";

  /** The confirmation's bodies and attachments from its facts: what the person receives. */
  async function renderConfirmation(f: ConfirmationFacts) {
    const row: CalendarFacts = {
      id: f.registrationId,
      title: f.event.title,
      description: f.event.description,
      slug: f.event.slug,
      starts_at: new Date(f.event.startsAt),
      ends_at: new Date(f.event.endsAt),
      time_zone: f.event.timeZone,
      format: f.event.format,
      event_status: f.event.status,
      calendar_sequence: f.event.calendarSequence,
    };
    const event = eventFacts(row);
    const joinUrl = `${base}/api/v1/public/registrations/${f.pageToken}/join`;
    const { html, text } = await registrationConfirmation({
      language: f.language,
      branding: f.branding,
      firstName: f.firstName,
      event,
      status: f.status,
      joinUrl,
      pageUrl: `${base}/r/${f.pageToken}`,
      promoted: f.promoted,
    });
    return {
      html,
      text,
      attachments:
        f.status === "registered"
          ? [
              {
                filename: `${row.slug}.ics`,
                contentType: "text/calendar; method=PUBLISH",
                content: calendarOf(row, joinUrl, f.status),
              },
              // A webinar has no door: only on-site and hybrid events carry the check-in code.
              ...(row.format !== "webinar" ? [await checkInQr(row.id)] : []),
            ]
          : [],
    };
  }
  email.renderLater(CONFIRMATION, (facts) => renderConfirmation(facts as ConfirmationFacts));

  /*
   * The other messages the public form causes are rendered later too, so that no answer of
   * the form does a render the other answers do not (its timing must not tell a new address
   * from a registered one, docs/email.md "Public form").
   */
  const CONFIRM_REQUEST = "registration.confirm_request";
  const ALREADY_REGISTERED = "registration.already_registered";
  type CommonFacts = Omit<Common, "event"> & { event: Omit<EventFacts, "startsAt"> & { startsAt: string } };
  const commonFacts = (c: Common): CommonFacts => ({
    ...c,
    event: { ...c.event, startsAt: c.event.startsAt.toISOString() },
  });
  const commonFrom = (f: CommonFacts): Common => ({
    ...f,
    event: { ...f.event, startsAt: new Date(f.event.startsAt) },
  });
  email.renderLater(CONFIRM_REQUEST, (facts) => {
    const f = facts as { common: CommonFacts; confirmToken: string; expiresAt: string };
    return confirmationRequest({
      ...commonFrom(f.common),
      confirmUrl: `${base}/c/${f.confirmToken}`,
      expiresAt: new Date(f.expiresAt),
    });
  });
  email.renderLater(ALREADY_REGISTERED, (facts) =>
    alreadyRegistered(commonFrom((facts as { common: CommonFacts }).common)),
  );

  /** The confirmation (new, or promoted from the waitlist): page link, join link, and the .ics when placed. */
  async function confirmation(trx: Trx, registrationId: string, pageToken: string, promoted: boolean) {
    const { row, language, branding } = await context(trx, registrationId);
    if (row.status !== "registered" && row.status !== "waitlisted") return;
    // One sender, never two: a webinar left to its provider gets the provider's confirmation only.
    if (!(await senders.auditoriumSends(trx, row.event_id))) return;
    const facts: ConfirmationFacts = {
      registrationId: row.id,
      status: row.status,
      promoted,
      pageToken,
      firstName: row.first_name,
      language,
      branding,
      event: {
        title: row.title,
        description: row.description,
        slug: row.slug,
        startsAt: row.starts_at.toISOString(),
        endsAt: row.ends_at.toISOString(),
        timeZone: row.time_zone,
        format: row.format,
        status: row.event_status,
        calendarSequence: row.calendar_sequence,
      },
    };
    await email.enqueue(trx, {
      organizationId: row.organization_id,
      to: row.email,
      kind: promoted ? "registration.promoted" : "registration.confirmation",
      language,
      subject: confirmationSubject(language, row.title, row.status, promoted),
      later: { template: CONFIRMATION, facts },
      hidden: [pageToken],
      registrationId,
    });
  }

  return {
    async registered(trx, { registrationId, pageToken }) {
      if (pageToken) await confirmation(trx, registrationId, pageToken, false);
    },

    async promoted(trx, { registrationId, pageToken }) {
      await confirmation(trx, registrationId, pageToken, true);
    },

    async cancelled(trx, { registrationId }) {
      const { row, language, common } = await context(trx, registrationId);
      if (!(await senders.auditoriumSends(trx, row.event_id))) return;
      await email.enqueue(trx, {
        organizationId: row.organization_id,
        to: row.email,
        kind: "registration.cancelled",
        language,
        ...(await cancellationNotice(common)),
        // The same UID, now STATUS:CANCELLED: the calendar removes the entry it has.
        attachments: [
          {
            filename: `${row.slug}.ics`,
            contentType: "text/calendar; method=PUBLISH",
            content: calendarOf(row, null, "cancelled"),
          },
        ],
        registrationId,
      });
    },

    async confirmationRequested(trx, { registrationId, confirmToken, expiresAt }) {
      const { row, language, common } = await context(trx, registrationId);
      await email.enqueue(trx, {
        organizationId: row.organization_id,
        to: row.email,
        kind: "registration.confirm_request",
        language,
        subject: confirmationRequestSubject(language, row.title),
        later: {
          template: CONFIRM_REQUEST,
          facts: { common: commonFacts(common), confirmToken, expiresAt: expiresAt.toISOString() },
        },
        hidden: [confirmToken],
        registrationId,
      });
    },

    async alreadyRegistered(trx, { registrationId }) {
      const { row, language, common } = await context(trx, registrationId);
      await email.enqueue(trx, {
        organizationId: row.organization_id,
        to: row.email,
        kind: "registration.already_registered",
        language,
        subject: alreadyRegisteredSubject(language, row.title),
        later: { template: ALREADY_REGISTERED, facts: { common: commonFacts(common) } },
        registrationId,
      });
    },
  };
}

/**
 * The check-in code as a PNG QR code (what the desk scans): the registration id, which the
 * check-in API takes as is, so the desk needs no extra lookup table. A waitlisted person gets
 * none: the door does not admit them.
 */
export async function checkInQr(registrationId: string) {
  // One PNG filter (Paeth), not pngjs's default of trying all five on every row and keeping
  // the best: the search was a fifth of a public registration's CPU when profiled
  // (docs/performance.md); with Paeth alone the image is 1,349 bytes instead of 1,328.
  const png = await QRCode.toBuffer(registrationId, {
    errorCorrectionLevel: "M",
    margin: 2,
    scale: 6,
    rendererOpts: { filterType: 4 } as { deflateLevel?: number },
  });
  return {
    filename: "check-in-code.png",
    contentType: "image/png",
    content: png.toString("base64"),
    encoding: "base64" as const,
    cid: "check-in-code",
  };
}
