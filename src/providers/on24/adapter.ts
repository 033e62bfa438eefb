/**
 * ON24 (REST API v2) implementation of the provider contract. See PROVIDERS.md §1 for the vendor
 * facts this relies on. Notable ON24 traits handled here:
 * - writes are form-encoded; auth is two static headers; region picks the API host;
 * - quota exhaustion is a 403 with a message, not a 429 (client.ts maps it);
 * - there is no personal join link: registrants get the event's audience URL, fetched once per
 *   event and cached;
 * - cancelling a registration is a soft delete (isDeleted=Y), refused once the event started;
 * - attendance comes from the event-level attendee list, one page per call.
 */
import type {
  AttendancePage,
  AttendanceRecord,
  CredentialCheck,
  ProviderAccount,
  ProviderRegistrant,
  ProvisionedWebinar,
  RegistrantSpec,
  WebinarProvider,
  WebinarSpec,
} from "../contract.ts";
import { ProviderError } from "../contract.ts";
import {
  accountRef,
  ON24_CREDENTIAL_FIELDS,
  ON24_DEFAULT_BASE_URLS,
  On24Client,
  type On24Region,
} from "./client.ts";
import {
  ON24_WEBINAR_TYPES,
  type On24Attendee,
  type On24RegistrantRecord,
  type On24RegistrationField,
  on24AttendeeList,
  on24ClientRegistrantsProbe,
  on24CreatedEvent,
  on24DeletedEvent,
  on24EventMetadata,
  on24EventRegistrants,
  on24Forgotten,
  on24RegistrantByEmail,
  on24RegistrantWrite,
  on24RegistrationFields,
  on24UpdatedEvent,
} from "./schemas.ts";

export interface On24ProviderOptions {
  baseUrls?: { NA: string; EU: string };
  /** Deadline of one HTTP call, body included (default 15 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** ON24 limits (AddEventForm / UpdateEventForm in openapi.json). */
const MAX_TITLE_CREATE = 250; // "Limited to less than 251 characters"
const MAX_TITLE_UPDATE = 255; // "Limited to 255 characters"
const MIN_DURATION = 15;
const MAX_DURATION = 480;
const PAGE_SIZE = 100; // "limit of 100 per page"
const DEFAULT_EVENT_TYPE = "fav"; // "Live Video and Audio"
/** How long an event's audience URL / registration fields / registrant names are reused. */
const EVENT_CACHE_TTL_MS = 10 * 60_000;
const NAMES_CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX_ENTRIES = 500;

// --- value mapping -------------------------------------------------------------------------

function invalid(message: string): ProviderError {
  return new ProviderError("invalid", message);
}

function requireNumericId(value: string, what: string): string {
  if (!/^\d+$/.test(value)) throw invalid(`ON24 ${what} must be numeric`);
  return value;
}

/** Truncates on code points so a surrogate pair is never split. */
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

function requireTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw invalid("ON24 needs a valid IANA time zone");
  }
  return tz;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wall(date: Date, timeZone: string): Wall {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "YYYY-MM-DDThh:mm:ss±zz:zz" — the create form's unambiguous liveStart format, in the event's zone. */
export function on24IsoLiveStart(date: Date, timeZone: string): string {
  const w = wall(date, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const offset = Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`
  );
}

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

function form(entries: Record<string, string | null | undefined>): URLSearchParams {
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

function isKind(err: unknown, ...kinds: ProviderError["kind"][]): err is ProviderError {
  return err instanceof ProviderError && kinds.includes(err.kind);
}

// --- small TTL cache -------------------------------------------------------------------------

class TtlCache<V> {
  private readonly map = new Map<string, { value: V; expires: number }>();
  constructor(private readonly ttlMs: number) {}
  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: Date.now() + this.ttlMs });
    if (this.map.size > CACHE_MAX_ENTRIES) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
  deletePrefix(prefix: string): void {
    for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
  }
}

// --- registration fields -------------------------------------------------------------------

/** Our registration values keyed like ON24 regfield ids without underscores (job_title → jobtitle). */
type RegValues = Record<"email" | "firstname" | "lastname" | "company" | "jobtitle", string | null>;

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
    const value = known ? out[key as keyof RegValues] : null;
    const present = value !== null && value.trim() !== "";
    const allowed = !present || !f.options || f.options.length === 0 || f.options.includes(value);
    if (f.required === "Y" && (!present || !allowed)) {
      throw invalid(
        present
          ? `ON24 event requires registration field "${f.fieldid}" to be one of its options`
          : `ON24 event requires registration field "${f.fieldid}", which we do not collect or is empty`,
      );
    }
    if (known && !allowed) out[key as keyof RegValues] = null;
  }
  return out;
}

// --- provider ------------------------------------------------------------------------------

export function createOn24Provider(options: On24ProviderOptions = {}): WebinarProvider {
  const client = new On24Client({
    baseUrls: options.baseUrls ?? ON24_DEFAULT_BASE_URLS,
    timeoutMs: options.timeoutMs ?? 15_000,
    fetch: options.fetch ?? globalThis.fetch,
  });
  const audienceUrls = new TtlCache<string | null>(EVENT_CACHE_TTL_MS);
  const regFields = new TtlCache<On24RegistrationField[] | null>(EVENT_CACHE_TTL_MS);
  const names = new TtlCache<Map<string, On24RegistrantRecord>>(NAMES_CACHE_TTL_MS);

  const eventKey = (region: On24Region, clientId: string, eventId: string) =>
    `${region}:${clientId}:${eventId}:`;
  const keyOf = (account: ProviderAccount, eventId: string) => {
    const ref = accountRef(account);
    return eventKey(ref.region, ref.clientId, eventId);
  };
  const eventPath = (eventId: string) => `/event/${requireNumericId(eventId, "event id")}`;

  async function audienceUrl(account: ProviderAccount, eventId: string): Promise<string | null> {
    const key = keyOf(account, eventId);
    const cached = audienceUrls.get(key);
    if (cached !== undefined) return cached;
    const ev = await client.call(account, {
      op: "get event",
      method: "GET",
      path: eventPath(eventId),
      schema: on24EventMetadata,
    });
    if (ev.isactive === false) throw new ProviderError("not_found", "ON24 event is no longer active");
    const url = ev.audienceurl ?? null;
    audienceUrls.set(key, url);
    return url;
  }

  /** The event's registration page fields; null when ON24 will not tell (non-Elite accounts get 403). */
  async function registrationFields(
    account: ProviderAccount,
    eventId: string,
  ): Promise<On24RegistrationField[] | null> {
    const key = keyOf(account, eventId);
    const cached = regFields.get(key);
    if (cached !== undefined) return cached;
    let fields: On24RegistrationField[] | null;
    try {
      const res = await client.call(account, {
        op: "get registration fields",
        method: "GET",
        path: `${eventPath(eventId)}/regfield`,
        schema: on24RegistrationFields,
      });
      fields = res.registrationfields;
    } catch (err) {
      if (!isKind(err, "forbidden")) throw err;
      fields = null;
    }
    regFields.set(key, fields);
    return fields;
  }

  /** Registrants of the event by eventuserid, to name attendees (the attendee record has no names). */
  async function registrantsById(
    account: ProviderAccount,
    eventId: string,
  ): Promise<Map<string, On24RegistrantRecord>> {
    const key = keyOf(account, eventId);
    const cached = names.get(key);
    if (cached) return cached;
    let byId = new Map<string, On24RegistrantRecord>();
    try {
      const res = await client.call(account, {
        op: "list registrants",
        method: "GET",
        path: `${eventPath(eventId)}/registrant`,
        schema: on24EventRegistrants,
      });
      byId = new Map(res.registrants.map((r) => [r.eventuserid, r]));
    } catch (err) {
      if (!isKind(err, "forbidden")) throw err;
    }
    names.set(key, byId);
    return byId;
  }

  function toRegistrant(id: string, email: string, joinUrl: string | null): ProviderRegistrant {
    return { providerRegistrantId: id, email, joinUrl };
  }

  function toAttendance(a: On24Attendee, reg: On24RegistrantRecord | undefined): AttendanceRecord {
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

  const provider: WebinarProvider = {
    kind: "on24",
    credentialFields: ON24_CREDENTIAL_FIELDS,

    async checkCredentials(account): Promise<CredentialCheck> {
      try {
        // Cheapest authenticated read that needs no Elite tier: one row of the client-level list.
        await client.call(account, {
          op: "check credentials",
          method: "GET",
          path: "/registrant",
          query: { itemsperpage: "1", pageoffset: "0" },
          schema: on24ClientRegistrantsProbe,
        });
        return { status: "healthy", message: "ON24 accepted the credentials" };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        switch (err.kind) {
          case "auth":
            return { status: "not_authenticated", message: err.message };
          case "token_expired":
            return { status: "token_expired", message: err.message };
          case "not_found": // "The client {clientId} doesn't exist."
            return { status: "not_authenticated", message: "ON24 does not know this clientId" };
          case "forbidden":
            return { status: "forbidden", message: err.message };
          default:
            // quota, rate limit, outage, unexpected answer: the pair may be fine, the account is not usable now.
            return { status: "unhealthy", message: err.message };
        }
      }
    },

    async createWebinar(account, spec: WebinarSpec): Promise<ProvisionedWebinar> {
      const timeZone = requireTimeZone(spec.timeZone);
      const lang = on24Language(spec.language);
      const res = await client.call(account, {
        op: "create event",
        method: "POST",
        path: "/event",
        form: form({
          title: truncateTitle(spec.title, MAX_TITLE_CREATE),
          eventType: spec.webinarType ?? DEFAULT_EVENT_TYPE,
          languageCd: lang.languageCd,
          countryCd: lang.countryCd,
          timeZone,
          liveStart: on24IsoLiveStart(spec.startsAt, timeZone),
          liveDuration: String(on24LiveDuration(spec.startsAt, spec.endsAt)),
          eventAbstract: spec.description.trim() === "" ? undefined : spec.description,
        }),
        schema: on24CreatedEvent,
      });
      const eventId = res.wccevent.eventId;
      audienceUrls.set(keyOf(account, eventId), res.wccevent.audienceUrl);
      return { providerWebinarId: eventId, joinUrl: res.wccevent.audienceUrl };
    },

    async updateWebinar(account, providerWebinarId, spec): Promise<void> {
      const timeZone = requireTimeZone(spec.timeZone);
      const lang = on24Language(spec.language);
      // UpdateEventForm has no eventAbstract: ON24 lets the description be set at creation only.
      await client.call(account, {
        op: "update event",
        method: "PUT",
        path: eventPath(providerWebinarId),
        form: form({
          title: truncateTitle(spec.title, MAX_TITLE_UPDATE),
          eventType: spec.webinarType,
          languageCd: lang.languageCd,
          countryCd: lang.countryCd,
          timeZone,
          liveStart: on24WccLiveStart(spec.startsAt, timeZone),
          liveDuration: String(on24LiveDuration(spec.startsAt, spec.endsAt)),
        }),
        schema: on24UpdatedEvent,
      });
    },

    async deleteWebinar(account, providerWebinarId): Promise<void> {
      const key = keyOf(account, providerWebinarId);
      try {
        await client.call(account, {
          op: "delete event",
          method: "DELETE",
          path: eventPath(providerWebinarId),
          schema: on24DeletedEvent,
        });
      } catch (err) {
        // 410 "Event has already been deleted" is the outcome we wanted.
        if (!(err instanceof ProviderError && err.details.status === 410)) throw err;
      } finally {
        audienceUrls.deletePrefix(key);
        regFields.deletePrefix(key);
        names.deletePrefix(key);
      }
    },

    async register(account, providerWebinarId, person: RegistrantSpec): Promise<ProviderRegistrant> {
      requireNumericId(providerWebinarId, "event id");
      const joinUrl = await audienceUrl(account, providerWebinarId);
      const values = applyRegistrationFields(
        {
          email: person.email,
          firstname: person.firstName,
          lastname: person.lastName,
          company: person.company,
          jobtitle: person.jobTitle,
        },
        await registrationFields(account, providerWebinarId),
      );
      const res = await client.call(account, {
        op: "register",
        method: "POST",
        path: `${eventPath(providerWebinarId)}/registrant`,
        form: form({
          email: values.email,
          firstName: values.firstname,
          lastName: values.lastname,
          company: values.company,
          jobTitle: values.jobtitle,
        }),
        schema: on24RegistrantWrite,
      });
      return toRegistrant(res.eventuserid, res.email ?? person.email, joinUrl);
    },

    async cancelRegistration(account, providerWebinarId, registrant): Promise<void> {
      try {
        await client.call(account, {
          op: "cancel registration",
          method: "POST",
          path: `${eventPath(providerWebinarId)}/registrant`,
          form: form({ email: registrant.email, isDeleted: "Y" }),
          schema: on24RegistrantWrite,
        });
      } catch (err) {
        // 412 "You're trying to soft delete the registrant you're creating." = no such registrant;
        // 404 / 403 "event … is inactive" = the event itself is gone. Either way nothing is left.
        if (err instanceof ProviderError && (err.details.status === 412 || err.kind === "not_found")) return;
        throw err;
      }
    },

    async listAttendance(account, providerWebinarId, cursor): Promise<AttendancePage> {
      const offset = cursor === null ? 0 : Number(cursor);
      if (cursor !== null && !/^\d+$/.test(cursor))
        throw invalid("ON24 attendance cursor must be a page offset");
      const res = await client.call(account, {
        op: "list attendees",
        method: "GET",
        path: `${eventPath(providerWebinarId)}/attendee`,
        query: { pageoffset: String(offset), itemsperpage: String(PAGE_SIZE) },
        schema: on24AttendeeList,
      });
      const paged = res.pagecount !== undefined;
      if (!paged && offset > 0) {
        // ON24 answered without paging, so offset 0 already returned every attendee.
        return { records: [], nextCursor: null };
      }
      const needNames = res.attendees.some((a) => a.firstname === undefined);
      const regs = needNames ? await registrantsById(account, providerWebinarId) : new Map();
      const records = res.attendees.map((a) => toAttendance(a, regs.get(a.eventuserid)));
      const current = res.currentpage ?? offset;
      const nextCursor = paged && current + 1 < (res.pagecount ?? 0) ? String(current + 1) : null;
      return { records, nextCursor };
    },

    async findRegistrantByEmail(account, providerWebinarId, email): Promise<ProviderRegistrant | null> {
      requireNumericId(providerWebinarId, "event id");
      let rec: On24RegistrantRecord;
      try {
        const res = await client.call(account, {
          op: "get registrant by email",
          method: "GET",
          path: `/registrant/${encodeURIComponent(email)}`,
          query: { eventid: providerWebinarId },
          schema: on24RegistrantByEmail,
        });
        rec = res.registrant;
      } catch (err) {
        if (isKind(err, "not_found")) return null;
        throw err;
      }
      if (rec.eventid !== undefined && rec.eventid !== providerWebinarId) return null;
      // Soft-deleted and forgotten people are not registered any more.
      if (rec.userstatus !== undefined && rec.userstatus !== "active") return null;
      return toRegistrant(rec.eventuserid, rec.email, await audienceUrl(account, providerWebinarId));
    },

    async erasePerson(account, email): Promise<void> {
      // The forget form takes a comma-separated list; an address containing a comma would be split.
      if (email.includes(",")) throw invalid("ON24 cannot forget an e-mail address containing a comma");
      try {
        await client.call(account, {
          op: "forget person",
          method: "POST",
          path: "/forget",
          form: form({ email }),
          schema: on24Forgotten,
        });
      } catch (err) {
        // 404 "No registrant was found for that email address": nothing to erase.
        if (isKind(err, "not_found")) return;
        throw err;
      }
      names.deletePrefix("");
    },

    webinarTypes() {
      return ON24_WEBINAR_TYPES.map((t) => ({ id: t.id, label: t.label }));
    },
  };
  return provider;
}
