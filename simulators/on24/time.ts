// Date handling. ON24 analytics endpoints report Pacific time as ISO-8601 with offset
// ("2015-05-19T11:01:42-07:00"); event-management responses use "MM/DD/YYYY hh:mm AM" in the
// event's own time zone. liveStart input accepts four documented formats.

export const PACIFIC = "America/Los_Angeles";
export const MINUTE = 60_000;

interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const partsCache = new Map<string, Intl.DateTimeFormat>();

function wallParts(ms: number, timeZone: string): WallParts {
  let fmt = partsCache.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsCache.set(timeZone, fmt);
  }
  const out: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(ms))) {
    if (p.type !== "literal") out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 0,
    month: out.month ?? 0,
    day: out.day ?? 0,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes (e.g. -420 for PDT). */
function offsetMinutes(ms: number, timeZone: string): number {
  const w = wallParts(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE);
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Converts a wall-clock time in `timeZone` to epoch ms (two passes to settle DST edges). */
function fromWall(w: WallParts, timeZone: string): number {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  let ms = guess - offsetMinutes(guess, timeZone) * MINUTE;
  ms = guess - offsetMinutes(ms, timeZone) * MINUTE;
  return ms;
}

const pad = (n: number, len = 2) => String(Math.abs(n)).padStart(len, "0");

const HOUR = 60 * MINUTE;
/** Pacific's offset per UTC hour, null where it changes within the hour (see isoPacific). */
const pacificOffsets = new Map<number, number | null>();

/**
 * "2015-05-19T11:01:42-07:00" in Pacific time, as ON24's analytics endpoints answer.
 * Intl's formatToParts costs tens of microseconds and an attendee list renders several
 * timestamps per attendee (100,000 attendees at the top of ON24's range), so the offset is
 * looked up once per hour of time and the wall clock is plain arithmetic. An hour whose two
 * ends disagree (a DST change inside it) is computed exactly every time.
 */
export function isoPacific(ms: number): string {
  const hour = Math.floor(ms / HOUR);
  let off = pacificOffsets.get(hour);
  if (off === undefined) {
    const first = offsetMinutes(hour * HOUR, PACIFIC);
    off = first === offsetMinutes(hour * HOUR + HOUR - 1, PACIFIC) ? first : null;
    if (pacificOffsets.size > 100_000) pacificOffsets.clear();
    pacificOffsets.set(hour, off);
  }
  off ??= offsetMinutes(ms, PACIFIC);
  const wall = new Date(ms + off * MINUTE);
  const sign = off < 0 ? "-" : "+";
  return (
    `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `${sign}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

/** "12/20/2017 08:45 AM" in the given zone, as the event-management (wccevent) responses use. */
export function wccDate(ms: number, timeZone: string): string {
  const w = wallParts(ms, timeZone);
  const h12 = w.hour % 12 === 0 ? 12 : w.hour % 12;
  return `${pad(w.month)}/${pad(w.day)}/${w.year} ${pad(h12)}:${pad(w.minute)} ${w.hour < 12 ? "AM" : "PM"}`;
}

export function shortTimeZone(ms: number, timeZone: string): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" })
    .formatToParts(new Date(ms))
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? timeZone;
}

/**
 * Parses liveStart in the formats ON24 documents. "MM/DD/YYYY hh:mm a" carries no zone; we read it
 * in the event's timeZone (ON24 does not say; this is the natural reading). "YYYY-MM-DDThh:mm:ss"
 * without offset is Pacific, as documented. Returns null when unparseable.
 */
export function parseLiveStart(input: string, eventTimeZone: string): number | null {
  const s = input.trim();
  const us = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{1,2}):(\d{2}) ?(AM|PM)$/i.exec(s);
  if (us) {
    const [, mo, d, y, h, mi, ampm] = us;
    let hour = Number(h) % 12;
    if ((ampm ?? "").toUpperCase() === "PM") hour += 12;
    return fromWall(
      { year: Number(y), month: Number(mo), day: Number(d), hour, minute: Number(mi), second: 0 },
      eventTimeZone,
    );
  }
  const local = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (local) {
    const [, y, mo, d, h, mi, se] = local.map(Number) as number[];
    return fromWall(
      { year: y ?? 0, month: mo ?? 0, day: d ?? 0, hour: h ?? 0, minute: mi ?? 0, second: se ?? 0 },
      PACIFIC,
    );
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/.test(s)) return Date.parse(s);
  // JavaScript Date.toString(): "Wed Apr 04 2018 16:12:41 GMT+0200 (CEST)"
  if (/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{4} \d{2}:\d{2}:\d{2} GMT[+-]\d{4}/.test(s)) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** Query-string dates (startdate/enddate): "YYYY-MM-DD" (Pacific midnight) or ISO with/without offset. */
export function parseQueryDate(input: string): number | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  if (d)
    return fromWall(
      { year: +(d[1] ?? 0), month: +(d[2] ?? 0), day: +(d[3] ?? 0), hour: 0, minute: 0, second: 0 },
      PACIFIC,
    );
  return parseLiveStart(input, PACIFIC);
}

/** "HH:MM:SS", the attendeesession duration format. */
export function hms(ms: number): string {
  const total = Math.round(ms / 1000);
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

/** ON24's minute rounding: nearest integer, but any 0 < x < 1 is reported as 1. */
export function on24Minutes(exact: number): number {
  if (exact > 0 && exact < 1) return 1;
  return Math.round(exact);
}
