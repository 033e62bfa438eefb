import type { Transaction } from "kysely";
import QRCode from "qrcode";
import type { Database } from "../../db/schema.ts";
import { registrationCalendar } from "../../lib/calendar/calendar.ts";
import type { EmailService } from "../email/email.service.ts";
import type { RegistrantNotices } from "./registrant-notices.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";
import {
  alreadyRegistered,
  cancellationNotice,
  confirmationRequest,
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
  email: Pick<EmailService, "enqueue" | "branding">;
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

  function calendarOf(
    row: Awaited<ReturnType<typeof context>>["row"],
    joinUrl: string | null,
    status: string,
  ) {
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

  /** The confirmation (new, or promoted from the waitlist): page link, join link, and the .ics when placed. */
  async function confirmation(trx: Trx, registrationId: string, pageToken: string, promoted: boolean) {
    const { row, language, common } = await context(trx, registrationId);
    if (row.status !== "registered" && row.status !== "waitlisted") return;
    // One sender, never two: a webinar left to its provider gets the provider's confirmation only.
    if (!(await senders.auditoriumSends(trx, row.event_id))) return;
    const pageUrl = `${base}/r/${pageToken}`;
    const joinUrl = `${base}/api/v1/public/registrations/${pageToken}/join`;
    const rendered = await registrationConfirmation({
      ...common,
      status: row.status,
      joinUrl,
      pageUrl,
      promoted,
    });
    await email.enqueue(trx, {
      organizationId: row.organization_id,
      to: row.email,
      kind: promoted ? "registration.promoted" : "registration.confirmation",
      language,
      ...rendered,
      hidden: [pageToken],
      attachments:
        row.status === "registered"
          ? [
              {
                filename: `${row.slug}.ics`,
                contentType: "text/calendar; method=PUBLISH",
                content: calendarOf(row, joinUrl, row.status),
              },
              // A webinar has no door: only on-site and hybrid events carry the check-in code.
              ...(row.format !== "webinar" ? [await checkInQr(row.id)] : []),
            ]
          : [],
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
      const rendered = await confirmationRequest({
        ...common,
        confirmUrl: `${base}/c/${confirmToken}`,
        expiresAt,
      });
      await email.enqueue(trx, {
        organizationId: row.organization_id,
        to: row.email,
        kind: "registration.confirm_request",
        language,
        ...rendered,
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
        ...(await alreadyRegistered(common)),
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
