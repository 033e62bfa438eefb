/** Offset of `timeZone` from UTC at an instant, in milliseconds. */
function offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - instant;
}

/**
 * The instant a wall-clock `YYYY-MM-DDTHH:mm` means in `timeZone`, for showing the viewer
 * their own time before saving. The server stays the authority (it also refuses times
 * that do not exist in the zone); this is only a preview.
 */
export function wallClockToInstant(local: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return null;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0] = m.slice(1).map(Number);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  try {
    const first = asUtc - offsetMs(asUtc, timeZone);
    return new Date(asUtc - offsetMs(first, timeZone));
  } catch {
    return null;
  }
}

export function timeZones(): string[] {
  const all = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone");
  return all && all.length > 0 ? all : ["UTC", "Europe/Oslo", "Europe/London", "America/New_York"];
}
