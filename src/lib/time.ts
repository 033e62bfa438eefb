/**
 * Time-zone arithmetic with Intl only (Node 20 has no Temporal). Instants are stored in UTC;
 * an event's IANA zone gives wall-clock meaning. A wall-clock time that does not exist
 * (spring-forward gap) is refused; one that occurs twice (fall-back) takes the earlier.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z_+\-/0-9]{1,64}$/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return Intl.supportedValuesOf("timeZone").includes(timeZone) || timeZone === "UTC";
  } catch {
    return false;
  }
}

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock fields of an instant in a zone. */
export function wallClock(instantMs: number, timeZone: string): Wall {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(instantMs))
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

const wallAsUtcMs = (w: Wall) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** Offset of the zone from UTC at an instant, in minutes (Oslo in summer: +120). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const ms = Math.floor(instant.getTime() / 1000) * 1000;
  return Math.round((wallAsUtcMs(wallClock(ms, timeZone)) - ms) / 60_000);
}

export class NonexistentLocalTimeError extends Error {}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const DAY = 86_400_000;

/** A wall-clock time in a zone → the instant. `local` is `YYYY-MM-DDTHH:mm[:ss]`. */
export function localToInstant(local: string, timeZone: string): Date {
  const m = LOCAL_RE.exec(local);
  if (!m) throw new RangeError(`not a local date-time: ${local}`);
  const wall: Wall = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
  };
  const asUtc = wallAsUtcMs(wall);
  const candidates = new Set<number>();
  // The offsets a day either side bound every transition a zone makes in one day.
  for (const probe of [asUtc - DAY, asUtc + DAY]) {
    candidates.add(asUtc - offsetMinutes(new Date(probe), timeZone) * 60_000);
  }
  const valid = [...candidates]
    .filter((c) => wallAsUtcMs(wallClock(c, timeZone)) === asUtc)
    .sort((a, b) => a - b);
  const first = valid[0];
  if (first === undefined) throw new NonexistentLocalTimeError(`${local} does not exist in ${timeZone}`);
  return new Date(first);
}

/** An instant as wall-clock time in a zone with its offset: `2026-03-29T09:00:00+02:00`. */
export function instantToLocal(instant: Date, timeZone: string): string {
  const w = wallClock(instant.getTime(), timeZone);
  const off = offsetMinutes(instant, timeZone);
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  const p = (n: number, len = 2) => String(n).padStart(len, "0");
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

/** Input form for an event time: an instant (`…Z` or `…+02:00`) or a wall-clock time in the event's zone. */
export const DATE_TIME_INPUT_RE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?$/;

export function resolveDateTime(input: string, timeZone: string): Date {
  if (/(?:Z|[+-]\d{2}:\d{2})$/.test(input)) {
    const d = new Date(input);
    if (Number.isNaN(d.getTime())) throw new RangeError(`not a date-time: ${input}`);
    return d;
  }
  return localToInstant(input.replace(/\.\d+$/, ""), timeZone);
}
