import { instantToLocal, wallClock } from "../../lib/time.ts";
/**
 * Pure value mappings of the ON24 adapter: our webinar, registrant and attendance values to and
 * from ON24's forms and records (limits from AddEventForm / UpdateEventForm in openapi.json).
 */
import type { AttendanceRecord, ProviderRegistrant } from "../contract.ts";
import { ProviderError } from "../contract.ts";
import type { On24Attendee, On24RegistrantRecord, On24RegistrationField } from "./schemas.ts";

/** liveDuration bounds in minutes (AddEventForm / UpdateEventForm). */
const MIN_DURATION = 15;
const MAX_DURATION = 480;

export function invalid(message: string): ProviderError {
  return new ProviderError("invalid", message);
}

export function requireNumericId(value: string, what: string): string {
  if (!/^\d+$/.test(value)) throw invalid(`ON24 ${what} must be numeric`);
  return value;
}

/** Truncates on code points so a surrogate pair is never split. */
/** ON24's page size for its paged lists: "limit of 100 per page" (openapi.json). */
export const ON24_PAGE_SIZE = 100;

/** The API path of one event; the id is checked to be numeric, so it cannot change the path. */
export const on24EventPath = (eventId: string) => `/event/${requireNumericId(eventId, "event id")}`;

export function truncateTitle(title: string, max: number): string {
  const t = title.trim();
  if (t === "") throw invalid("ON24 requires a non-empty title");
  const chars = Array.from(t);
  return chars.length <= max ? t : chars.slice(0, max).join("").trimEnd();
}

/**
 * ON24's liveDuration in minutes: 15–480, in 15-minute steps up to 120 and 30-minute steps above.
 * Rounded up so the ON24 slot covers the whole event; longer events are capped at 480.
 */
export function on24LiveDuration(startsAt: Date, endsAt: Date): number {
  const exact = (endsAt.getTime() - startsAt.getTime()) / 60_000;
  if (!Number.isFinite(exact) || exact <= 0) throw invalid("webinar must end after it starts");
  const minutes = Math.max(MIN_DURATION, Math.ceil(Math.round(exact * 1000) / 1000));
  const stepped = minutes <= 120 ? Math.ceil(minutes / 15) * 15 : Math.ceil(minutes / 30) * 30;
  return Math.min(MAX_DURATION, stepped);
}

export function requireTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw invalid("ON24 needs a valid IANA time zone");
  }
  return tz;
}

const wall = (date: Date, timeZone: string) => wallClock(date.getTime(), timeZone);

const pad = (n: number) => String(n).padStart(2, "0");

/** "YYYY-MM-DDThh:mm:ss±zz:zz" — the create form's unambiguous liveStart format, in the event's zone. */
export const on24IsoLiveStart = (date: Date, timeZone: string): string => instantToLocal(date, timeZone);

/** "MM/dd/yyyy hh:mm a" — the only liveStart format UpdateEventForm documents; sent with timeZone. */
export function on24WccLiveStart(date: Date, timeZone: string): string {
  const w = wall(date, timeZone);
  const h12 = w.hour % 12 === 0 ? 12 : w.hour % 12;
  return `${pad(w.month)}/${pad(w.day)}/${w.year} ${pad(h12)}:${pad(w.minute)} ${w.hour < 12 ? "AM" : "PM"}`;
}

/** BCP 47 tag → ON24 languageCd (+ countryCd for the only pairs ON24 allows: zh/CN, zh/TW, en/UK). */
export function on24Language(tag: string): { languageCd: string; countryCd?: string } {
  const [langRaw = "", regionRaw = ""] = tag.trim().split(/[-_]/);
  const languageCd = langRaw.toLowerCase();
  if (!/^[a-z]{2,3}$/.test(languageCd)) throw invalid('ON24 needs a language code such as "en"');
  const region = regionRaw.toUpperCase();
  if (languageCd === "zh" && (region === "CN" || region === "TW")) return { languageCd, countryCd: region };
  if (languageCd === "zh" && region === "HANT") return { languageCd, countryCd: "TW" };
  if (languageCd === "zh" && region === "HANS") return { languageCd, countryCd: "CN" };
  if (languageCd === "en" && (region === "GB" || region === "UK")) return { languageCd, countryCd: "UK" };
  return { languageCd };
}

export function form(entries: Record<string, string | null | undefined>): URLSearchParams {
  const f = new URLSearchParams();
  for (const [k, v] of Object.entries(entries)) {
    if (v !== undefined && v !== null) f.append(k, v);
  }
  return f;
}

const blankToNull = (v: string | undefined): string | null => (v === undefined || v.trim() === "" ? null : v);

function minDate(...dates: (Date | undefined)[]): Date | null {
  const ds = dates.filter((d): d is Date => d !== undefined);
  return ds.length === 0 ? null : new Date(Math.min(...ds.map((d) => d.getTime())));
}

function maxDate(...dates: (Date | undefined)[]): Date | null {
  const ds = dates.filter((d): d is Date => d !== undefined);
  return ds.length === 0 ? null : new Date(Math.max(...ds.map((d) => d.getTime())));
}

export function isKind(err: unknown, ...kinds: ProviderError["kind"][]): err is ProviderError {
  return err instanceof ProviderError && kinds.includes(err.kind);
}

// --- registration fields -------------------------------------------------------------------

/**
 * Our registration values keyed like ON24 regfield ids without underscores (job_title →
 * jobtitle): the contact's five, and the answers' fields (on24/answers.ts).
 */
export type RegValues = Record<"email" | "firstname" | "lastname" | "company" | "jobtitle", string | null> &
  Record<string, string | null>;

/**
 * Checks our values against the event's registration page: a required field we cannot fill is
 * `invalid` (ON24 would answer 400 anyway, less clearly); an optional list field whose options do
 * not include our value is dropped rather than failing the whole registration.
 */
export function applyRegistrationFields(
  values: RegValues,
  fields: On24RegistrationField[] | null,
): RegValues {
  if (!fields) return values;
  const out: RegValues = { ...values };
  for (const f of fields) {
    const key = f.fieldid.replaceAll("_", "").toLowerCase();
    const known = key in out;
    const value = known ? (out[key] ?? null) : null;
    const present = value !== null && value.trim() !== "";
    const allowed = !present || !f.options || f.options.length === 0 || f.options.includes(value);
    if (f.required === "Y" && (!present || !allowed)) {
      throw invalid(
        present
          ? `ON24 event requires registration field "${f.fieldid}" to be one of its options`
          : `ON24 event requires registration field "${f.fieldid}", which we do not collect or is empty`,
      );
    }
    if (known && !allowed) out[key] = null;
  }
  return out;
}

// --- records ---------------------------------------------------------------------------------

export function toRegistrant(id: string, email: string, joinUrl: string | null): ProviderRegistrant {
  return { providerRegistrantId: id, email, joinUrl };
}

export function toAttendance(a: On24Attendee, reg: On24RegistrantRecord | undefined): AttendanceRecord {
  return {
    providerRegistrantId: a.eventuserid,
    email: a.email,
    firstName: blankToNull(a.firstname ?? reg?.firstname),
    lastName: blankToNull(a.lastname ?? reg?.lastname),
    company: blankToNull(a.company ?? reg?.company),
    jobTitle: blankToNull(a.jobtitle ?? reg?.jobtitle),
    liveMinutes: a.liveminutes ?? 0,
    onDemandMinutes: a.archiveminutes ?? 0,
    engagementScore: a.engagementscore ?? null,
    questionsAsked: a.askedquestions ?? 0,
    pollsAnswered: a.answeredpolls ?? 0,
    resourcesDownloaded: a.resourcesdownloaded ?? 0,
    firstActivityAt: minDate(a.firstliveactivity, a.firstarchiveactivity),
    lastActivityAt: maxDate(a.lastliveactivity, a.lastarchiveactivity),
  };
}
