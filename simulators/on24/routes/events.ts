// Event management (create/copy, update, delete), event metadata and registration fields.
import { type Form, field } from "../forms.ts";
import type { RouteCtx, RouteDef } from "../http.ts";
import { API_DIALECT, ENDPOINT_DIALECT, MSG, On24Error } from "../messages.ts";
import { renderEventMetadata, renderWccEvent } from "../render.ts";
import { hexKey, rngFor } from "../rng.ts";
import { defaultRegFields } from "../state.ts";
import { isValidTimeZone, parseLiveStart } from "../time.ts";
import type { SimEvent } from "../types.ts";
import { defaultEmails } from "./emails.ts";

const BAD_TAG_CHARS = /[£$!%&*(){}@#~?><',"|=_+¬]/;
const COUNTRY_PAIRS: Record<string, string[]> = { zh: ["CN", "TW"], en: ["UK"] };

/** Looks up an event of the caller's client. Deleted events are "inactive" (403), as ON24 lists. */
export function requireEvent(
  ctx: RouteCtx,
  opts: { notFound?: (id: string) => string; inactive?: (id: string) => string; allowDeleted?: boolean } = {},
): SimEvent {
  const raw = ctx.params.eventId ?? "";
  const notFound = opts.notFound ?? MSG.eventNotFound;
  const ev = /^\d+$/.test(raw) ? ctx.state.events.get(Number(raw)) : undefined;
  if (!ev || ev.clientId !== ctx.clientId) throw new On24Error(404, notFound(raw));
  if (ev.deleted && !opts.allowDeleted) throw new On24Error(403, (opts.inactive ?? MSG.eventInactive)(raw));
  return ev;
}

export function hasStarted(ctx: RouteCtx, ev: SimEvent): boolean {
  return ev.run !== null || ctx.state.now() >= ev.goodAfter - 15 * 60_000;
}

function bad(detail: string): never {
  throw new On24Error(400, MSG.createFailed, detail);
}

function validDuration(raw: string): number {
  const n = Number(raw);
  const ok = Number.isInteger(n) && n >= 15 && n <= 480 && (n <= 120 ? n % 15 === 0 : n % 30 === 0);
  if (!ok) bad("liveDuration must be 15-480 minutes, 15-minute steps up to 120, then 30-minute steps");
  return n;
}

/** Applies the documented form fields to an event; `maxTitle` differs between create (250) and update (255). */
function applyForm(ctx: RouteCtx, ev: SimEvent, form: Form, maxTitle: number): void {
  const title = field(form, "title");
  if (title !== undefined) {
    if (title.trim() === "" || title.length > maxTitle) bad(`title must be 1-${maxTitle} characters`);
    ev.title = title;
  }
  const tz = field(form, "timeZone");
  if (tz !== undefined) {
    if (!isValidTimeZone(tz)) bad(`unknown timeZone ${tz}`);
    ev.timeZone = tz;
  }
  const dur = field(form, "liveDuration");
  if (dur !== undefined) ev.durationMin = validDuration(dur);
  const start = field(form, "liveStart");
  if (start !== undefined) {
    const ms = parseLiveStart(start, ev.timeZone);
    if (ms === null) bad(`unparseable liveStart ${start}`);
    ev.goodAfter = ms;
  }
  const lang = field(form, "languageCd");
  if (lang !== undefined) ev.languageCd = lang;
  const country = field(form, "countryCd");
  if (country !== undefined) ev.countryCd = country;
  if (ev.countryCd && !COUNTRY_PAIRS[ev.languageCd]?.includes(ev.countryCd)) {
    bad("countryCd only allowed as zh/CN, zh/TW or en/UK");
  }
  const tags = form.tagcampaign;
  if (tags) {
    if (tags.length > 10) bad("at most 10 tagCampaign values");
    if (tags.some((t) => BAD_TAG_CHARS.test(t))) bad("tagCampaign contains a forbidden character");
    ev.tags = [...new Set([...ev.tags, ...tags])];
  }
  if ((form.customaccounttag?.length ?? 0) > 3) bad("at most 3 customAccountTag values");
  const str = (name: string, set: (v: string) => void) => {
    const v = field(form, name);
    if (v !== undefined) set(v);
  };
  str("eventType", (v) => {
    ev.eventType = v;
  });
  str("eventAbstract", (v) => {
    ev.eventAbstract = v;
  });
  str("promotionalSummary", (v) => {
    ev.promotionalSummary = v;
  });
  str("campaignCode", (v) => {
    ev.campaignCode = v;
  });
  str("archiveAvailable", (v) => {
    ev.archiveAvailable = v.toUpperCase() !== "N";
  });
  str("hybrid", (v) => {
    ev.hybrid = v.toUpperCase() === "Y" ? "Y" : "N";
  });
  str("venue", (v) => {
    ev.venue = v;
  });
  str("address", (v) => {
    ev.address = v;
  });
  str("testevent", (v) => {
    ev.testevent = v.toUpperCase() === "Y" ? "Y" : "N";
  });
  str("enableRegistration", (v) => {
    if (!/^[YN]$/i.test(v)) bad("enableRegistration must be Y or N");
    ev.registrationEnabled = v.toUpperCase() === "Y";
  });
  ev.updatedAt = ctx.state.now();
}

function createEvent(ctx: RouteCtx) {
  const { state, form } = ctx;
  const sourceRaw = ctx.query.eventsource;
  const source = sourceRaw ? state.events.get(Number(sourceRaw)) : undefined;
  if (sourceRaw && (!source || source.clientId !== ctx.clientId || source.deleted))
    bad("eventsource not found");
  const required = source
    ? ["liveDuration", "liveStart"]
    : ["eventType", "languageCd", "liveDuration", "liveStart", "timeZone", "title"];
  const missing = required.filter((k) => !field(form, k));
  if (missing.length) bad(`missing required: ${missing.join(", ")}`);
  const eventId = state.nextId("event");
  const now = state.now();
  const keys = rngFor("event-keys", eventId);
  const ev: SimEvent = {
    ...(source ?? {
      title: "",
      eventAbstract: "",
      promotionalSummary: "",
      timeZone: "America/Los_Angeles",
      eventType: "",
      languageCd: "en",
      countryCd: "",
      campaignCode: "",
      tags: [],
      archiveAvailable: true,
      hybrid: "N",
      venue: "",
      address: "",
      testevent: "N",
      registrationEnabled: true,
      regfields: defaultRegFields(),
    }),
    title: source ? `Copy of ${source.title}` : "",
    tags: source ? [...source.tags] : [],
    regfields: (source?.regfields ?? defaultRegFields()).map((f) => ({ ...f })),
    eventId,
    clientId: ctx.clientId,
    region: ctx.region,
    goodAfter: 0,
    durationMin: 60,
    sourceEventId: source?.eventId ?? 0,
    audienceKey: hexKey(keys),
    reportKey: hexKey(keys),
    createdAt: now,
    updatedAt: now,
    deleted: false,
    run: null,
    // A copy takes its source's notifications (with new ids); a new event ON24's defaults.
    emails: source
      ? source.emails.map((e) => ({ ...e, emailid: state.nextId("email") }))
      : defaultEmails(state),
  };
  applyForm(ctx, ev, form, 250);
  state.events.set(eventId, ev);
  return { body: renderWccEvent(ev, now, "create") };
}

/** The day an ON24 date filter names ("2007-12-03"), or an ISO date-time. */
function dayStart(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(t)) bad(`${name} is not a date`);
  return t;
}

const DAY_MS = 24 * 3600_000;
const DATE_FILTERS: Record<string, (ev: SimEvent) => number> = {
  goodafter: (ev) => ev.goodAfter,
  creation: (ev) => ev.createdAt,
  modified: (ev) => ev.updatedAt,
  livestart: (ev) => ev.goodAfter,
};

/**
 * GET /client/{clientId}/event — AnalyticsClientLevel.Events: the client's events whose
 * `datefiltermode` date falls between `startdate` and `enddate` (both days inclusive; default the
 * last 90 days; at most 6 months apart), oldest first unless `filterorder=desc`, inactive
 * (deleted) ones only with `includeinactive=Y`; `pageoffset`/`itemsperpage` page the list.
 */
function listEvents(ctx: RouteCtx) {
  const q = ctx.query;
  const now = ctx.state.now();
  const mode = (q.datefiltermode ?? "goodafter").toLowerCase();
  const dateOf = DATE_FILTERS[mode];
  if (!dateOf) bad("datefiltermode is not valid");
  const end = (dayStart(q.enddate, "enddate") ?? now - (now % DAY_MS)) + DAY_MS;
  const start = dayStart(q.startdate, "startdate") ?? end - 91 * DAY_MS;
  if (end - start > 184 * DAY_MS) bad("the range between startdate and enddate can be up to 6 months");
  const size = Math.min(Math.max(Number(q.itemsperpage ?? 100) || 100, 1), 100);
  const offset = Math.max(Number(q.pageoffset ?? 0) || 0, 0);
  const inactive = (q.includeinactive ?? "N").toUpperCase() === "Y";
  const all = [...ctx.state.events.values()]
    .filter((ev) => ev.clientId === ctx.clientId && (inactive || !ev.deleted))
    .filter((ev) => dateOf(ev) >= start && dateOf(ev) < end)
    .sort((a, b) => dateOf(a) - dateOf(b) || a.eventId - b.eventId);
  if ((q.filterorder ?? "asc").toLowerCase() === "desc") all.reverse();
  return {
    body: {
      totalevents: all.length,
      events: all.slice(offset * size, (offset + 1) * size).map((ev) => renderEventMetadata(ctx.state, ev)),
    },
  };
}

export const eventRoutes: RouteDef[] = [
  {
    method: "GET",
    path: "/client/{clientId}/event",
    operationId: "AnalyticsClientLevel.Events",
    dialect: API_DIALECT,
    handler: listEvents,
  },
  {
    method: "POST",
    path: "/client/{clientId}/event",
    operationId: "EventManagement.CreateAWebinar",
    dialect: API_DIALECT,
    handler: createEvent,
  },
  {
    method: "GET",
    path: "/client/{clientId}/event/{eventId}",
    operationId: "AnalyticsEventLevel.MetadataAndUsage",
    dialect: API_DIALECT,
    handler: (ctx) => ({ body: renderEventMetadata(ctx.state, requireEvent(ctx)) }),
  },
  {
    method: "PUT",
    path: "/client/{clientId}/event/{eventId}",
    operationId: "EventManagement.UpdateAWebinar",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const ev = requireEvent(ctx);
      // Validate on a copy so a rejected update changes nothing.
      const draft: SimEvent = { ...ev, tags: [...ev.tags] };
      applyForm(ctx, draft, ctx.form, 255);
      Object.assign(ev, draft);
      return { body: renderWccEvent(ev, ctx.state.now(), "update") };
    },
  },
  {
    method: "DELETE",
    path: "/client/{clientId}/event/{eventId}",
    operationId: "EventManagement.DeleteWebinar",
    dialect: ENDPOINT_DIALECT,
    handler: (ctx) => {
      const ev = requireEvent(ctx, { notFound: () => MSG.eventNotFoundForClient, allowDeleted: true });
      if (ev.deleted) throw new On24Error(410, MSG.eventAlreadyDeleted);
      if (hasStarted(ctx, ev))
        throw new On24Error(412, MSG.eventNotDeletable, "event has started or has run");
      ev.deleted = true;
      ev.updatedAt = ctx.state.now();
      return { body: { message: MSG.eventDeleted } };
    },
  },
  {
    method: "GET",
    path: "/client/{clientId}/event/{eventId}/regfield",
    operationId: "Helpers.RetrieveRegistrationFields",
    dialect: ENDPOINT_DIALECT,
    handler: (ctx) => {
      const ev = requireEvent(ctx, { notFound: () => MSG.regfieldEventNotFound });
      return { body: { registrationfields: ev.regfields } };
    },
  },
];
