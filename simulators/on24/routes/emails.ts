// Email notifications of an event (AnalyticsEventLevel.EmailNotificationDetails and
// EventManagement.UpdateEmailNotification in specs/on24/openapi.json), and the emails ON24
// would send registrants because of them: the confirmation when someone registers, each
// reminder when its time comes (by the simulator's clock), only while the email is activated.
import { field } from "../forms.ts";
import type { RouteCtx, RouteDef } from "../http.ts";
import { API_DIALECT, On24Error } from "../messages.ts";
import type { SimState } from "../state.ts";
import type { SimEmailNotification, SimEvent } from "../types.ts";
import { requireEvent } from "./events.ts";

/** UpdateEmailNotification's documented `whentosend` values. */
export const WHEN_TO_SEND = [
  "2 Weeks Before Event",
  "1 Week Before Event",
  "5 Days Before Event",
  "Days Before Event",
  "2 Days Before Event",
  "1 Day Before Event",
  "12 Hours Before Event",
  "6 Hours Before Event",
  "5 Hours Before Event",
  "4 Hours Before Event",
  "3 Hours Before Event",
  "2 Hours Before Event",
  "1 Hour Before Event",
  "30 Minutes Before Event",
  "15 Minutes Before Event",
  "1 Hour After Event",
  "2 Hours After Event",
  "3 Hours After Event",
  "4 Hours After Event",
  "5 Hours After Event",
  "6 Hours After Event",
  "12 Hours After Event",
  "1 Day After Event",
  "2 Days After Event",
  "3 Days After Event",
  "5 Days After Event",
  "1 Week After Event",
  "2 Weeks After Event",
  "When Event Starts",
  "Custom Date And Time",
];

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  hour: 3600_000,
  day: 86_400_000,
  week: 604_800_000,
};
const FROM = "do_not_reply@on24event.com";

/**
 * The notifications a new event starts with. openapi.json shows only "Reminder Email #1";
 * the confirmation and the second reminder are this simulator's assumption of ON24's
 * defaults (README), all activated, as an event made in ON24's console is.
 */
export function defaultEmails(state: SimState): SimEmailNotification[] {
  const email = (
    emailtype: string,
    whentosend: string,
    subject: string,
    body: string,
  ): SimEmailNotification => ({
    emailid: state.nextId("email"),
    emailtype,
    activated: "Y",
    whentosend,
    goodafter: "",
    from: FROM,
    fromlabel: "Webcast",
    replyto: FROM,
    subject,
    body,
  });
  return [
    email(
      "Confirmation Email",
      "Upon Registration",
      "Confirmation - #EVENTTITLE#",
      "Thank you for registering.",
    ),
    email(
      "Reminder Email #1",
      "1 Day Before Event",
      "Reminder - #EVENTTITLE#",
      "#EVENTTITLE# begins tomorrow.",
    ),
    email("Reminder Email #2", "1 Hour Before Event", "Reminder - #EVENTTITLE#", "#EVENTTITLE# begins soon."),
  ];
}

const isConfirmation = (e: SimEmailNotification) => /^confirmation/i.test(e.emailtype);
const isReminder = (e: SimEmailNotification) => /^reminder/i.test(e.emailtype);

/** When a reminder goes out, epoch ms; null for a value that names no instant before the event. */
function reminderAt(ev: SimEvent, e: SimEmailNotification): number | null {
  if (e.whentosend === "When Event Starts") return ev.goodAfter;
  if (e.whentosend === "Custom Date And Time") {
    const at = Date.parse(e.goodafter);
    return Number.isNaN(at) ? null : at;
  }
  const m = /^(\d+) (Minute|Hour|Day|Week)s? Before Event$/i.exec(e.whentosend);
  if (!m) return null;
  return ev.goodAfter - Number(m[1]) * (UNIT_MS[(m[2] ?? "").toLowerCase()] ?? 0);
}

/** A new registrant of the event: ON24 sends its confirmation, if that email is activated. */
export function recordConfirmation(state: SimState, ev: SimEvent, to: string): void {
  for (const e of ev.emails.filter(isConfirmation)) {
    if (e.activated === "Y")
      state.sentEmails.push({ eventId: ev.eventId, emailId: e.emailid, to, kind: "confirmation" });
  }
}

/**
 * Sends, once each, the reminders whose time has come by the simulator's clock to the active
 * registrants of live events; called before the sent emails are read, which is when a test
 * can observe them.
 */
export function sendDueReminders(state: SimState): void {
  const now = state.now();
  const sent = new Set(state.sentEmails.map((s) => `${s.emailId}:${s.to.toLowerCase()}`));
  for (const ev of state.events.values()) {
    if (ev.deleted || ev.run !== null || now >= ev.goodAfter) continue;
    for (const e of ev.emails.filter(isReminder)) {
      const at = reminderAt(ev, e);
      if (e.activated !== "Y" || at === null || now < at) continue;
      for (const r of state.registrants.values()) {
        const to = r.fields.email ?? "";
        if (r.eventId !== ev.eventId || r.status !== "active" || to === "") continue;
        if (sent.has(`${e.emailid}:${to.toLowerCase()}`)) continue;
        state.sentEmails.push({ eventId: ev.eventId, emailId: e.emailid, to, kind: "reminder" });
      }
    }
  }
}

function bad(detail: string): never {
  throw new On24Error(400, "Bad request", detail);
}

/** PUT …/email/{emailId}: form fields; a rejected update changes nothing. */
function updateEmail(ctx: RouteCtx) {
  const ev = requireEvent(ctx);
  const id = ctx.params.emailId ?? "";
  const email = /^\d+$/.test(id) ? ev.emails.find((e) => e.emailid === Number(id)) : undefined;
  if (!email) throw new On24Error(404, `The email ${id} doesn't exist.`);
  const draft = { ...email };
  const activated = field(ctx.form, "activated");
  if (activated !== undefined) {
    const v = activated.toUpperCase();
    if (v !== "Y" && v !== "N") bad("activated must be Y or N");
    draft.activated = v;
  }
  const when = field(ctx.form, "whentosend");
  if (when !== undefined) {
    const known = WHEN_TO_SEND.find((w) => w.toLowerCase() === when.toLowerCase());
    if (!known) bad("whentosend is not one of the documented values");
    draft.whentosend = known;
  }
  const goodafter = field(ctx.form, "goodafter");
  if (goodafter !== undefined) {
    if (Number.isNaN(Date.parse(goodafter))) bad("goodafter is not a date-time");
    draft.goodafter = goodafter;
  }
  const fromlabel = field(ctx.form, "fromlabel");
  if (fromlabel !== undefined) {
    // "Only alphanumeric characters and a maximum of 50 characters are allowed."
    if (!/^[A-Za-z0-9 ]{1,50}$/.test(fromlabel)) bad("fromlabel must be at most 50 alphanumeric characters");
    draft.fromlabel = fromlabel;
  }
  for (const name of ["subject", "body", "replyto"] as const) {
    const v = field(ctx.form, name);
    if (v !== undefined) draft[name] = v;
  }
  Object.assign(email, draft);
  ev.updatedAt = ctx.state.now();
  return { body: email };
}

export const emailRoutes: RouteDef[] = [
  {
    method: "GET",
    path: "/client/{clientId}/event/{eventId}/email",
    operationId: "AnalyticsEventLevel.EmailNotificationDetails",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const ev = requireEvent(ctx);
      return { body: { eventid: ev.eventId, emails: ev.emails } };
    },
  },
  {
    method: "PUT",
    path: "/client/{clientId}/event/{eventId}/email/{emailId}",
    operationId: "EventManagement.UpdateEmailNotification",
    dialect: API_DIALECT,
    handler: updateEmail,
  },
];
