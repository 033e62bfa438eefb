/**
 * An RFC 5545 calendar file with one event, for the public confirmation page. Only what
 * calendar clients need: UTC times (no VTIMEZONE to get wrong), escaped TEXT values,
 * lines folded at 75 octets without splitting a UTF-8 character, CRLF line ends.
 */
export interface CalendarEntry {
  uid: string;
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
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Auditorium//Auditorium//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    `UID:${icsText(entry.uid)}`,
    `DTSTAMP:${icsDateTime(entry.stamp)}`,
    `DTSTART:${icsDateTime(entry.start)}`,
    `DTEND:${icsDateTime(entry.end)}`,
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
