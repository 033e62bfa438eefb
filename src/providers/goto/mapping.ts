/**
 * Pure value mappings of the GoTo adapter: our webinar and registrant values to GoTo's request
 * bodies (limits from WebinarReqCreate / RegistrantFields in GoTo's OpenAPI), and GoTo's session
 * attendees to our attendance records.
 */
import { instantToLocal } from "../../lib/time.ts";
import type { AttendanceRecord, RegistrantSpec, WebinarSpec } from "../contract.ts";
import { ProviderError } from "../contract.ts";
import { liveAttendanceRecord } from "../live-attendance.ts";
import { withReference } from "../reference.ts";
import type { GotoAttendee } from "./schemas.ts";

const MAX_SUBJECT = 128; // "128 characters maximum"
const MAX_DESCRIPTION = 2048; // "2048 characters maximum"

/** WebinarReqCreate.locale: the only languages GoTo takes; others fall back to the organizer's. */
const LOCALES: Record<string, string> = {
  en: "en_US",
  de: "de_DE",
  es: "es_ES",
  fr: "fr_FR",
  it: "it_IT",
  zh: "zh_CN",
};

export function invalid(message: string): ProviderError {
  return new ProviderError("invalid", message);
}

export function requireKey(value: string, what: string): string {
  if (!/^\d{1,19}$/.test(value)) throw invalid(`GoTo ${what} must be numeric`);
  return value;
}

/** Cuts on code points so a surrogate pair is never split. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? chars.join("") : chars.slice(0, max).join("").trimEnd();
}

export function gotoLocale(tag: string): string | undefined {
  const lang = tag.trim().split(/[-_]/)[0]?.toLowerCase() ?? "";
  return LOCALES[lang];
}

function requireTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw invalid("GoTo needs a valid IANA time zone");
  }
  return tz;
}

/**
 * The webinar definition for create (with `type`) and update (PUT replaces the whole definition,
 * "as for the Create call"). A sequence is sent as `recurrenceStart` + `recurrenceEnd` (the start's
 * date in the webinar's zone) + `recurrencePattern`, i.e. one meeting time that the organizer can extend in GoTo.
 */
export function webinarBody(spec: WebinarSpec, forCreate: boolean): Record<string, unknown> {
  const subject = clip(spec.title, MAX_SUBJECT);
  if (subject === "") throw invalid("GoTo requires a non-empty webinar subject");
  if (!(spec.endsAt.getTime() > spec.startsAt.getTime())) throw invalid("webinar must end after it starts");
  const type = spec.webinarType ?? "single_session";
  if (type !== "single_session" && type !== "sequence") {
    throw invalid(
      type === "series"
        ? "GoTo series webinars need two or more meeting times; use single_session or sequence"
        : `GoTo webinar type "${type}" is not one of single_session, sequence`,
    );
  }
  const timeZone = requireTimeZone(spec.timeZone);
  const slot = { startTime: spec.startsAt.toISOString(), endTime: spec.endsAt.toISOString() };
  const locale = gotoLocale(spec.language);
  return {
    subject,
    // Our reference is the description's last line: the organizer's webinar listing returns the
    // description and no field of ours, so a create whose answer was lost is found by it.
    description: withReference(spec.description, spec.externalRef, MAX_DESCRIPTION),
    timeZone,
    ...(locale && { locale }),
    ...(forCreate && { type }),
    ...(type === "sequence"
      ? {
          recurrenceStart: slot,
          recurrencePattern: "daily",
          recurrenceEnd: instantToLocal(spec.startsAt, timeZone).slice(0, 10),
        }
      : { times: [slot] }),
    // One sender, never two: GoTo's confirmation and reminder emails follow the choice
    // (specs/goto-webinar/openapi.yml, `emailSettings` of createWebinar and of updateWebinar,
    // whose PUT replaces the definition, so every update carries it). The follow-ups stay
    // GoTo's: Auditorium does not send those for GoTo webinars yet.
    ...(spec.providerSendsRegistrantEmails !== undefined && {
      emailSettings: {
        confirmationEmail: { enabled: spec.providerSendsRegistrantEmails },
        reminderEmail: { enabled: spec.providerSendsRegistrantEmails },
      },
    }),
  };
}

/** RegistrantFields; `organization` and `jobTitle` need the full-fields Accept (application/json). */
export function registrantBody(person: RegistrantSpec): Record<string, unknown> {
  const firstName = person.firstName.trim();
  const lastName = person.lastName.trim();
  if (firstName === "") throw invalid("GoTo requires the registrant's firstName");
  if (lastName === "") throw invalid("GoTo requires the registrant's lastName");
  return {
    firstName,
    lastName,
    email: person.email,
    source: "Auditorium",
    ...(person.company?.trim() && { organization: person.company.trim() }),
    ...(person.jobTitle?.trim() && { jobTitle: person.jobTitle.trim() }),
  };
}

/**
 * One record per person over several sessions (a sequence has many): seconds summed, first join
 * and last leave kept. People are keyed by registrantKey, which GoTo keeps across a webinar's sessions.
 */
export function aggregateAttendance(rows: GotoAttendee[]): AttendanceRecord[] {
  const byKey = new Map<
    string,
    { row: GotoAttendee; seconds: number; first: Date | null; last: Date | null }
  >();
  for (const row of rows) {
    const acc = byKey.get(row.registrantKey) ?? { row, seconds: 0, first: null, last: null };
    acc.seconds += row.attendanceTimeInSeconds;
    for (const i of row.attendance) {
      if (!acc.first || i.joinTime < acc.first) acc.first = i.joinTime;
      if (!acc.last || i.leaveTime > acc.last) acc.last = i.leaveTime;
    }
    byKey.set(row.registrantKey, acc);
  }
  // GoTo's session attendees are live viewers; recordings are not reported per person.
  return [...byKey.values()].map(({ row, seconds, first, last }) =>
    liveAttendanceRecord({
      providerRegistrantId: row.registrantKey,
      email: row.email,
      firstName: row.firstName?.trim() || null,
      lastName: row.lastName?.trim() || null,
      seconds,
      firstActivityAt: first,
      lastActivityAt: last,
    }),
  );
}
