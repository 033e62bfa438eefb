import { offsetMinutes, wallClock } from "../../lib/time.ts";

/**
 * An RFC 5545 VTIMEZONE for an IANA zone, built from the runtime's own zone data (Intl), so
 * a calendar file can give the event's times in the event's zone (`DTSTART;TZID=…`). It
 * lists the zone's actual transitions from the start of the first year to the end of the
 * last year the event touches, each as a one-off observance (no RRULE to get wrong when a
 * country changes its rules): RFC 5545 §3.6.5 asks only that the observances cover the
 * times the calendar uses.
 */
const DAY = 86_400_000;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Local date-time form (§3.3.5 form 2 without Z) of an instant in a fixed offset. */
function localForm(instantMs: number, offset: number) {
  const d = new Date(instantMs + offset * 60_000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** §3.3.14 UTC-OFFSET: +0100, -0330. */
function utcOffset(minutes: number) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

const offsetAt = (ms: number, zone: string) => offsetMinutes(new Date(ms), zone);

/** The first minute at which the offset differs from the one at `lo` (the change lies in (lo, hi]). */
function transitionIn(lo: number, hi: number, zone: string): number {
  const before = offsetAt(lo, zone);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 2 / 60_000) * 60_000;
    if (offsetAt(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The zone's transitions between two instants: when, and the offsets either side. */
export function transitions(zone: string, fromMs: number, toMs: number) {
  const found: { at: number; from: number; to: number }[] = [];
  let previous = offsetAt(fromMs, zone);
  for (let t = fromMs + DAY; t <= toMs + DAY; t += DAY) {
    const now = offsetAt(t, zone);
    if (now !== previous) {
      const at = transitionIn(t - DAY, t, zone);
      found.push({ at, from: previous, to: now });
      previous = now;
    }
  }
  return found;
}

/**
 * Built VTIMEZONEs by zone and years. Finding a year's transitions asks Intl for the offset of
 * every day (≈ 400 `formatToParts` calls): profiled, that was the largest single cost of a
 * public registration (its confirmation carries the .ics), and the answer for a zone and a
 * span of years does not change while the process runs.
 */
const built = new Map<string, string[]>();

/** The VTIMEZONE lines for `zone`, covering the years from `start` to `end`. */
export function vtimezone(zone: string, start: Date, end: Date): string[] {
  const first = Date.UTC(wallClock(start.getTime(), zone).year, 0, 1);
  const last = Date.UTC(wallClock(end.getTime(), zone).year + 1, 0, 1);
  const key = `${zone} ${first} ${last}`;
  let lines = built.get(key);
  if (!lines) {
    lines = buildVtimezone(zone, first, last);
    if (built.size >= 1000) built.clear();
    built.set(key, lines);
  }
  return [...lines];
}

function buildVtimezone(zone: string, first: number, last: number): string[] {
  const changes = transitions(zone, first, last);
  const initial = offsetAt(first, zone);
  const offsets = [initial, ...changes.map((c) => c.to)];
  const standard = Math.min(...offsets);
  const observance = (at: number, from: number, to: number) => {
    const kind = to === standard ? "STANDARD" : "DAYLIGHT";
    return [
      `BEGIN:${kind}`,
      `DTSTART:${localForm(at, from)}`,
      `TZOFFSETFROM:${utcOffset(from)}`,
      `TZOFFSETTO:${utcOffset(to)}`,
      `END:${kind}`,
    ];
  };
  return [
    "BEGIN:VTIMEZONE",
    `TZID:${zone}`,
    ...observance(first, initial, initial),
    ...changes.flatMap((c) => observance(c.at, c.from, c.to)),
    "END:VTIMEZONE",
  ];
}

/** An instant as the zone's wall-clock time, for `DTSTART;TZID=zone:…`. */
export function localDateTime(instant: Date, zone: string): string {
  return localForm(instant.getTime(), offsetAt(instant.getTime(), zone));
}
