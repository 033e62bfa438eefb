// Registrant operations (GoToWebinarV2 tag "Registrants"): create, list, get, delete.
import { recordConfirmation } from "./emails.ts";
import { badRequest, conflict, notFound } from "./errors.ts";
import type { RouteCtx, RouteDef } from "./pipeline.ts";
import { pageParams, requireWebinar } from "./routes-webinars.ts";
import type { SimRegistrantRecord, SimResponse, SimWebinar } from "./types.ts";

/** Accept value of the first version of "Create registrant": only firstName, lastName and email are read. */
const BASIC_ACCEPT = "application/vnd.citrix.g2wapi-v1.1+json";
const OPTIONAL_FIELDS = [
  "source",
  "address",
  "city",
  "state",
  "zipCode",
  "country",
  "phone",
  "organization",
  "jobTitle",
  "questionsAndComments",
  "industry",
  "numberOfEmployees",
  "purchasingTimeFrame",
  "purchasingRole",
];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function required(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== "string" || v.trim() === "") throw badRequest(`${name} is required`);
  if (v.length > 128) throw badRequest(`${name} must be at most 128 characters`);
  return v.trim();
}

/** Registrant (list and attendee-detail schema): registrantKey is an int64 number. */
export function registrantView(r: SimRegistrantRecord, timeZone: string) {
  return {
    lastName: r.lastName,
    email: r.email,
    firstName: r.firstName,
    registrantKey: r.registrantKey,
    registrationDate: r.registrationDate,
    status: r.status,
    joinUrl: r.joinUrl,
    timeZone,
  };
}

function create(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  const body = ctx.json();
  const email = required(body, "email");
  if (!EMAIL.test(email)) throw badRequest("email is not a valid email address");
  const firstName = required(body, "firstName");
  const lastName = required(body, "lastName");
  const existing = ctx.state
    .registrantsOf(w.webinarKey)
    .find((r) => r.email.toLowerCase() === email.toLowerCase());
  if (existing) throw conflict("The user is already registered");
  const basic = (ctx.header("accept") ?? "").includes(BASIC_ACCEPT);
  const fields: Record<string, string> = {};
  if (!basic) {
    for (const f of OPTIONAL_FIELDS) {
      const v = body[f];
      if (v === undefined || v === null) continue;
      if (typeof v !== "string") throw badRequest(`${f} must be a string`);
      fields[f] = v;
    }
  }
  // The first version reads only the names and email, so it cannot carry custom answers.
  const responses = basic ? [] : checkResponses(w, body.responses);
  const registrantKey = ctx.state.newKey();
  const r: SimRegistrantRecord = {
    registrantKey,
    webinarKey: w.webinarKey,
    email,
    firstName,
    lastName,
    fields,
    responses,
    registrationDate: new Date(ctx.state.now()).toISOString(),
    joinUrl: `https://global.gotowebinar.com/join/${w.webinarKey}/${registrantKey}`,
    status: "APPROVED",
    deleted: false,
  };
  ctx.state.registrants.set(registrantKey, r);
  ctx.state.noteCreated(w.webinarKey, email);
  // What GoTo would email the new registrant now (inspection: GET /_sim/emails).
  recordConfirmation(ctx.state, w, email);
  return { status: 201, body: { registrantKey, joinUrl: r.joinUrl } };
}

/**
 * `responses` (RegistrantQAResponse): each names a question of the webinar; a multipleChoice
 * question takes one of its answerKeys, a shortAnswer one a responseText within maxSize; and
 * "you must provide all required fields including custom fields".
 */
function checkResponses(w: SimWebinar, raw: unknown): SimResponse[] {
  if (raw === undefined || raw === null) raw = [];
  if (!Array.isArray(raw)) throw badRequest("responses must be an array");
  const out: SimResponse[] = raw.map((item) => {
    const r = (item ?? {}) as Record<string, unknown>;
    const q = w.questions.find((x) => x.questionKey === r.questionKey);
    if (!q) throw badRequest(`Unknown questionKey ${String(r.questionKey)}`);
    if (q.type === "multipleChoice") {
      if (!q.answers?.some((a) => a.answerKey === r.answerKey))
        throw badRequest(`answerKey is not an answer of question ${q.questionKey}`);
      return { questionKey: q.questionKey, answerKey: r.answerKey as number };
    }
    if (typeof r.responseText !== "string")
      throw badRequest(`responseText is required for question ${q.questionKey}`);
    if (r.responseText.length > q.maxSize)
      throw badRequest(`responseText must be at most ${q.maxSize} characters for question ${q.questionKey}`);
    return { questionKey: q.questionKey, responseText: r.responseText };
  });
  for (const q of w.questions) {
    if (q.required && !out.some((r) => r.questionKey === q.questionKey))
      throw badRequest(`The question ${q.questionKey} is required`);
  }
  return out;
}

/** getRegistrationFields: the default fields we read and the webinar's custom questions. */
function registrationFields(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  return {
    body: {
      fields: [
        { field: "firstName", required: true, maxSize: 128 },
        { field: "lastName", required: true, maxSize: 128 },
        { field: "email", required: true, maxSize: 128 },
        { field: "organization", required: false, maxSize: 128 },
        { field: "jobTitle", required: false, maxSize: 128 },
      ],
      questions: w.questions,
    },
  };
}

function list(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  const all = ctx.state.registrantsOf(w.webinarKey).map((r) => registrantView(r, w.timeZone));
  const { page, size, given } = pageParams(ctx, "limit", 200);
  // Without page/limit the answer is the plain RegistrantArray, as before paging existed.
  if (!given) return { body: all };
  const data = all.slice(page * size, (page + 1) * size);
  return { body: { data, total: all.length, page, limit: size, pageSize: data.length } };
}

function find(ctx: RouteCtx): SimRegistrantRecord {
  const w = requireWebinar(ctx);
  const r = ctx.state.registrants.get(ctx.key("registrantKey"));
  if (!r || r.deleted || r.webinarKey !== w.webinarKey) throw notFound("Registrant not found");
  return r;
}

function detail(ctx: RouteCtx) {
  const r = find(ctx);
  const w = requireWebinar(ctx);
  return {
    body: {
      ...registrantView(r, w.timeZone),
      ...r.fields,
      responses: r.responses,
      type: "REGULAR",
      unsubscribed: false,
    },
  };
}

function remove(ctx: RouteCtx) {
  const r = find(ctx);
  const w = requireWebinar(ctx);
  // "The webinar must be a scheduled, future webinar."
  if (w.inSession || w.times.every((t) => Date.parse(t.endTime) < ctx.state.now()))
    throw badRequest("Registrants can only be deleted from a scheduled, future webinar");
  r.deleted = true;
  return { status: 204 };
}

const R = "/organizers/{organizerKey}/webinars/{webinarKey}/registrants";
export const registrantRoutes: RouteDef[] = [
  { method: "POST", path: R, handler: create },
  { method: "GET", path: R, handler: list },
  { method: "GET", path: `${R}/fields`, handler: registrationFields },
  { method: "GET", path: `${R}/{registrantKey}`, handler: detail },
  { method: "DELETE", path: `${R}/{registrantKey}`, handler: remove },
];
