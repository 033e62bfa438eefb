// Webinar operations (GoToWebinarV2 tag "Webinars"): create, list, get, update, cancel.
import { applyEmailSettings } from "./emails.ts";
import { badRequest, conflict, notFound } from "./errors.ts";
import type { RouteCtx, RouteDef } from "./pipeline.ts";
import type { GotoSimState } from "./state.ts";
import type { SimWebinar, TimeRange } from "./types.ts";

export const LOCALES = ["en_US", "de_DE", "es_ES", "fr_FR", "it_IT", "zh_CN"];
const TYPES = ["single_session", "series", "sequence"] as const;
const PATTERNS = ["daily", "weekly", "monthly"];

type Body = Record<string, unknown>;

function str(body: Body, name: string, max: number, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw badRequest(`${name} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw badRequest(`${name} must be a string`);
  if (required && v.trim() === "") throw badRequest(`${name} must not be empty`);
  if (v.length > max) throw badRequest(`${name} must be at most ${max} characters`);
  return v;
}

function range(v: unknown, name: string): TimeRange {
  const r = (v ?? {}) as Body;
  for (const k of ["startTime", "endTime"]) {
    if (typeof r[k] !== "string" || Number.isNaN(Date.parse(r[k] as string)))
      throw badRequest(`${name}.${k} must be an ISO-8601 date-time`);
  }
  const start = Date.parse(r.startTime as string);
  const end = Date.parse(r.endTime as string);
  if (end <= start) throw badRequest(`${name}.endTime must be after startTime`);
  return { startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() };
}

function timeZone(body: Body): string {
  const tz = str(body, "timeZone", 64, false);
  if (tz === undefined) return "America/Los_Angeles";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw badRequest("timeZone must be a valid time zone ID");
  }
  return tz;
}

function locale(body: Body): string | undefined {
  const l = body.locale;
  if (l === undefined) return undefined;
  if (typeof l !== "string" || !LOCALES.includes(l))
    throw badRequest(`locale must be one of ${LOCALES.join(", ")}`);
  return l;
}

/** The meeting times a create/update body describes, per webinar type as the operation documents it. */
function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(ms);
}

/** The meeting times a create/update body describes, per webinar type as the operation documents it. */
function timesOf(body: Body, type: SimWebinar["type"], tz: string): TimeRange[] {
  if (type === "sequence") {
    const first = range(body.recurrenceStart, "recurrenceStart");
    const pattern = body.recurrencePattern;
    if (typeof pattern !== "string" || !PATTERNS.includes(pattern))
      throw badRequest("recurrencePattern must be daily, weekly or monthly");
    const last = body.recurrenceEnd;
    if (typeof last !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(last))
      throw badRequest("recurrenceEnd must be a date (YYYY-MM-DD)");
    const times: TimeRange[] = [];
    const start = new Date(first.startTime);
    const len = Date.parse(first.endTime) - start.getTime();
    for (let i = 0; i < 366; i++) {
      const s = new Date(start);
      if (pattern === "daily") s.setUTCDate(s.getUTCDate() + i);
      else if (pattern === "weekly") s.setUTCDate(s.getUTCDate() + 7 * i);
      else s.setUTCMonth(s.getUTCMonth() + i);
      // recurrenceEnd is a date in the webinar's time zone.
      if (localDate(s.getTime(), tz) > last) break;
      times.push({ startTime: s.toISOString(), endTime: new Date(s.getTime() + len).toISOString() });
    }
    if (times.length === 0) throw badRequest("recurrenceEnd must not be before recurrenceStart");
    return times;
  }
  if (!Array.isArray(body.times) || body.times.length === 0) throw badRequest("times is required");
  const times = body.times.map((t, i) => range(t, `times[${i}]`));
  if (type === "single_session" && times.length !== 1)
    throw badRequest("times must contain exactly one startTime/endTime pair for a single_session webinar");
  if (type === "series" && times.length < 2)
    throw badRequest("times must contain 2 or more timeframes for a series webinar");
  return times;
}

function webinarType(body: Body): SimWebinar["type"] {
  const t = body.type ?? "single_session";
  if (typeof t !== "string" || !(TYPES as readonly string[]).includes(t))
    throw badRequest("type must be single_session, series or sequence");
  return t as SimWebinar["type"];
}

function nineDigits(state: GotoSimState): string {
  return String(100_000_000 + Math.floor(state.rng() * 899_999_999));
}

export function requireWebinar(ctx: RouteCtx): SimWebinar {
  const w = ctx.state.liveWebinar(ctx.organizerKey, ctx.key("webinarKey"));
  if (!w) throw notFound("Webinar not found");
  return w;
}

/** WebinarByKey: keys are int64 numbers here (CreatedWebinar and Webinar use strings). */
export function webinarByKey(state: GotoSimState, w: SimWebinar) {
  const account = state.accountByOrganizer(w.organizerKey);
  return {
    webinarKey: w.webinarKey,
    webinarID: w.webinarID,
    subject: w.subject,
    description: w.description,
    organizerKey: w.organizerKey,
    organizerEmail: account?.organizerEmail ?? "",
    organizerName: account?.organizerName ?? "",
    times: w.times,
    registrationUrl: `https://attendee.gotowebinar.com/register/${w.webinarKey}`,
    inSession: w.inSession,
    impromptu: false,
    type: w.type,
    timeZone: w.timeZone,
    numberOfRegistrants: state.registrantsOf(w.webinarKey).length,
    registrationLimit: 1000,
    locale: w.locale,
    accountKey: account?.accountKey ?? "",
    recurrencePeriod: w.type,
    experienceType: w.experienceType.toLowerCase(),
    isPasswordProtected: false,
  };
}

function reportingWebinar(state: GotoSimState, w: SimWebinar) {
  const account = state.accountByOrganizer(w.organizerKey);
  return {
    webinarKey: String(w.webinarKey),
    webinarID: w.webinarID,
    organizerKey: String(w.organizerKey),
    accountKey: account?.accountKey ?? "",
    subject: w.subject,
    description: w.description,
    times: w.times,
    timeZone: w.timeZone,
    locale: w.locale,
    approvalType: "AUTOMATIC",
    registrationUrl: `https://attendee.gotowebinar.com/register/${w.webinarKey}`,
    impromptu: false,
    isPasswordProtected: false,
    recurrenceType: w.type,
    experienceType: w.experienceType.toLowerCase(),
  };
}

export function pageParams(ctx: RouteCtx, sizeName: "size" | "limit", dflt: number) {
  const page = ctx.query.get("page");
  const size = ctx.query.get(sizeName);
  if (page !== null && !/^\d+$/.test(page)) throw badRequest("page must be a non-negative integer");
  if (size !== null && !/^\d+$/.test(size)) throw badRequest(`${sizeName} must be a positive integer`);
  const n = size === null ? dflt : Number(size);
  if (n < 1 || n > 200) throw badRequest(`${sizeName} must be between 1 and 200`);
  return { page: page === null ? 0 : Number(page), size: n, given: page !== null || size !== null };
}

export function halPage(total: number, page: number, size: number) {
  return { size, totalElements: total, totalPages: Math.ceil(total / size), number: page };
}

function create(ctx: RouteCtx) {
  const body = ctx.json();
  const type = webinarType(body);
  const subject = str(body, "subject", 128, true) as string;
  const description = str(body, "description", 2048, false) ?? "";
  const tz = timeZone(body);
  const times = timesOf(body, type, tz);
  const base = {
    organizerKey: ctx.organizerKey,
    subject,
    description,
    timeZone: tz,
    type,
    locale: locale(body) ?? "en_US",
    experienceType: typeof body.experienceType === "string" ? body.experienceType : "CLASSIC",
    inSession: false,
    deleted: false,
    createdAt: ctx.state.now(),
    confirmationEmail: true,
    reminderEmail: true,
    questions: [],
  };
  applyEmailSettings(base, body.emailSettings);
  // A series is one webinar per meeting time sharing a recurrenceKey; the others are one webinar.
  const slots = type === "series" ? times.map((t) => [t]) : [times];
  const recurrenceKey = type === "series" ? ctx.state.newKey() : null;
  const created = slots.map((slot) => {
    const w: SimWebinar = {
      ...base,
      webinarKey: ctx.state.newKey(),
      webinarID: nineDigits(ctx.state),
      recurrenceKey,
      times: slot,
    };
    ctx.state.webinars.set(w.webinarKey, w);
    return w;
  });
  const first = created[0] as SimWebinar;
  return {
    status: 201,
    body: {
      webinarKey: String(first.webinarKey),
      ...(recurrenceKey !== null && { recurrenceKey: String(recurrenceKey) }),
    },
  };
}

function update(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  if (w.inSession) throw badRequest("The webinar is in progress");
  const now = ctx.state.now();
  if (w.times.every((t) => Date.parse(t.endTime) < now)) throw badRequest("The webinar has ended");
  const body = ctx.json();
  if (Object.keys(body).length === 0) throw badRequest("At least one parameter is required");
  const emails = { confirmationEmail: w.confirmationEmail, reminderEmail: w.reminderEmail };
  applyEmailSettings(emails, body.emailSettings);
  if (body.subject !== undefined) w.subject = str(body, "subject", 128, true) as string;
  if (body.description !== undefined) w.description = str(body, "description", 2048, false) ?? "";
  if (body.timeZone !== undefined) w.timeZone = timeZone(body);
  if (body.times !== undefined || body.recurrenceStart !== undefined)
    w.times = timesOf(body, w.type, w.timeZone);
  if (body.locale !== undefined) w.locale = locale(body) ?? w.locale;
  w.confirmationEmail = emails.confirmationEmail;
  w.reminderEmail = emails.reminderEmail;
  return { status: 202 };
}

function cancel(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  if (w.inSession) throw conflict("Webinar is in session");
  w.deleted = true;
  return { status: 204 };
}

function list(ctx: RouteCtx) {
  const from = Date.parse(ctx.query.get("fromTime") ?? "");
  const to = Date.parse(ctx.query.get("toTime") ?? "");
  if (Number.isNaN(from)) throw badRequest("fromTime is required (ISO-8601 UTC)");
  if (Number.isNaN(to)) throw badRequest("toTime is required (ISO-8601 UTC)");
  const { page, size } = pageParams(ctx, "size", 20);
  const all = [...ctx.state.webinars.values()].filter(
    (w) =>
      !w.deleted &&
      w.organizerKey === ctx.organizerKey &&
      w.times.some((t) => Date.parse(t.startTime) <= to && Date.parse(t.endTime) >= from),
  );
  return {
    body: {
      _embedded: {
        webinars: all.slice(page * size, (page + 1) * size).map((w) => reportingWebinar(ctx.state, w)),
      },
      page: halPage(all.length, page, size),
    },
  };
}

const W = "/organizers/{organizerKey}/webinars";
export const webinarRoutes: RouteDef[] = [
  { method: "POST", path: W, handler: create },
  { method: "GET", path: W, handler: list },
  {
    method: "GET",
    path: `${W}/{webinarKey}`,
    handler: (ctx) => ({ body: webinarByKey(ctx.state, requireWebinar(ctx)) }),
  },
  { method: "PUT", path: `${W}/{webinarKey}`, handler: update },
  { method: "DELETE", path: `${W}/{webinarKey}`, handler: cancel },
];
