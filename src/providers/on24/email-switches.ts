/**
 * One sender, never two (docs/email.md): ON24's own confirmation and reminder emails follow
 * the organizer's choice. ON24 has no switch on the event itself; each email notification of
 * the event is activated or not, so the adapter lists them
 * (AnalyticsEventLevel.EmailNotificationDetails) and sets `activated` on each confirmation and
 * reminder that differs (EventManagement.UpdateEmailNotification, form-encoded), in
 * specs/on24/openapi.json. Follow-up emails stay ON24's: Auditorium's follow-ups are not
 * gated by the sender choice for ON24 yet.
 *
 * Idempotent: a repeated or retried call writes only what still differs.
 */
import type { ProviderAccount } from "../contract.ts";
import type { On24Client } from "./client.ts";
import { form, requireNumericId } from "./mapping.ts";
import { on24EmailNotification, on24EmailNotifications } from "./schemas.ts";

/** The notifications the choice covers, by ON24's `emailtype` ("Confirmation Email", "Reminder Email #1"…). */
const SWITCHED = /^\s*(confirmation|reminder)\b/i;

export async function applyEmailSwitches(
  client: On24Client,
  account: ProviderAccount,
  eventId: string,
  providerSends: boolean,
): Promise<void> {
  const path = `/event/${requireNumericId(eventId, "event id")}/email`;
  const wanted = providerSends ? "Y" : "N";
  const list = await client.call(account, {
    op: "list email notifications",
    method: "GET",
    path,
    schema: on24EmailNotifications,
  });
  for (const email of list.emails) {
    if (!SWITCHED.test(email.emailtype) || email.activated.toUpperCase() === wanted) continue;
    await client.call(account, {
      op: "update email notification",
      method: "PUT",
      path: `${path}/${requireNumericId(email.emailid, "email id")}`,
      form: form({ activated: wanted }),
      schema: on24EmailNotification,
    });
  }
}
