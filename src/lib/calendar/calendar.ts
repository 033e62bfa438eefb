import { localDateTime, vtimezone } from "./calendar-timezone.ts";

/**
 * An RFC 5545 calendar file with one event, for the registrant's page and the emails that
 * carry it. Only what calendar clients need: the event's own time zone (a VTIMEZONE built
 * from the runtime's zone data) or UTC, escaped TEXT values, lines folded at 75 octets
 * without splitting a UTF-8 character, CRLF line ends. One UID per registration for good
 * and a SEQUENCE that grows with every change, so a client updates the entry it has instead
 * of adding a second one.
 */
export interface CalendarEntry {
  uid: string;
  /** RFC 5545 §3.8.7.4: higher on every revision (the event's stored calendar_sequence). */
  sequence?: number;
  /** The event's IANA zone; times are then given in it. Absent or UTC: UTC times. */
  timeZone?: string;
  stamp: Date;
  start: Date;
  end: Date;
  summary: string;
  description: string;
  url: string;
  location?: string | null;
  cancelled?: boolean;
}

/** RFC 5545 §3.3.5 form-2 (UTC): 20261126T120000Z. */
export const icsDateTime = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/** RFC 5545 §3.3.11: backslash, semicolon and comma are escaped; a line break becomes \n. */
export const icsText = (s: string) =>
  s
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: other control characters are not allowed in TEXT
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "");

/** A URI value is not TEXT (no escaping), but must not carry anything that breaks the line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters would end the content line
const icsUri = (s: string) => s.replace(/[\u0000-\u0020\u007f]/g, "");

/** RFC 5545 §3.1: lines longer than 75 octets continue on lines that start with a space. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = "";
  let octets = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    // The first line holds 75 octets; a continuation holds 74 after its leading space.
    const room = out.length === 0 ? 75 : 74;
    if (octets + size > room) {
      out.push(current);
      current = "";
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join("\r\n ");
}

export function buildCalendar(entry: CalendarEntry): string {
  const zone = entry.timeZone && entry.timeZone !== "UTC" ? entry.timeZone : null;
  const time = (name: string, d: Date) =>
    zone ? `${name};TZID=${zone}:${localDateTime(d, zone)}` : `${name}:${icsDateTime(d)}`;
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Auditorium//Auditorium//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    ...(zone ? vtimezone(zone, entry.start, entry.end) : []),
    "BEGIN:VEVENT",
    `UID:${icsText(entry.uid)}`,
    `SEQUENCE:${entry.sequence ?? 0}`,
    `DTSTAMP:${icsDateTime(entry.stamp)}`,
    time("DTSTART", entry.start),
    time("DTEND", entry.end),
    `SUMMARY:${icsText(entry.summary)}`,
    `DESCRIPTION:${icsText(entry.description)}`,
    `URL:${icsUri(entry.url)}`,
    ...(entry.location ? [`LOCATION:${icsText(entry.location)}`] : []),
    `STATUS:${entry.cancelled ? "CANCELLED" : "CONFIRMED"}`,
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return `${lines.map(foldLine).join("\r\n")}\r\n`;
}

/** What a registration's calendar entry is made of (the registrant's page and the emails share it). */
export interface RegistrationCalendarInput {
  registrationId: string;
  registrationStatus: string;
  event: {
    title: string;
    description: string;
    startsAt: Date;
    endsAt: Date;
    timeZone: string;
    status: string;
    calendarSequence: number;
  };
  joinUrl: string | null;
  /** The public event page. */
  pageUrl: string;
  /** The host part of the UID: the service's public host, so the UID never changes with how it was reached. */
  uidDomain: string;
  stamp?: Date;
}

export function registrationCalendar(input: RegistrationCalendarInput): string {
  const { event, joinUrl, pageUrl } = input;
  const description = [event.description.trim(), joinUrl ? `Join: ${joinUrl}` : "", `Event page: ${pageUrl}`]
    .filter(Boolean)
    .join("\n\n");
  return buildCalendar({
    uid: `${input.registrationId}@${input.uidDomain}`,
    sequence: event.calendarSequence,
    timeZone: event.timeZone,
    stamp: input.stamp ?? new Date(),
    start: event.startsAt,
    end: event.endsAt,
    summary: event.title,
    description,
    url: joinUrl ?? pageUrl,
    location: joinUrl,
    cancelled: input.registrationStatus === "cancelled" || event.status === "cancelled",
  });
}
