// Webinar registrants: add (Light), batch (Heavy, ≤ 30, type 5 only), status approve/deny/cancel
// (Medium), list (Medium, paged), get and delete (Light). Field names from the SDK's
// WebinarsAddWebinarRegistrant*, WebinarsPerformBatchRegistration*, WebinarsUpdateRegistrantsStatus*
// and WebinarsListWebinarRegistrants* types. Adding an e-mail already registered answers the
// existing registrant (as Zoom does); every add still spends the per-registrant daily allowance.
import { randomBytes } from "node:crypto";
import { invalidField, pageSize, type RouteCtx, type RouteDef, ZoomError } from "../http.ts";
import type { ZoomSimState } from "../state.ts";
import type { SimCustomAnswer, SimRegistrant, SimWebinar } from "../types.ts";
import { registrantAnswers } from "./questions.ts";
import { asBody, liveWebinar } from "./webinars.ts";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function dailyLimit(state: ZoomSimState, what: string, cap: number, email: string): ZoomError {
  return new ZoomError(
    429,
    429,
    `You have exceeded the daily rate limit (${cap}) of ${what} API requests permitted for (${email}) this particular registrant. You may resume these requests at GMT 00:00:00.`,
    { "retry-after": String(state.secondsToUtcMidnight()), "x-ratelimit-type": "Daily-limit" },
  );
}

export function registrantJson(r: SimRegistrant) {
  return {
    id: r.id,
    email: r.email,
    first_name: r.firstName,
    last_name: r.lastName,
    org: r.org,
    job_title: r.jobTitle,
    status: r.cancelled ? "denied" : r.status,
    create_time: r.createTime,
    join_url: r.joinUrl,
    custom_questions: r.customQuestions,
  };
}

function webhookObject(w: SimWebinar, r: SimRegistrant) {
  return {
    uuid: w.uuid,
    id: w.id,
    host_id: w.hostId,
    topic: w.topic,
    type: w.type,
    start_time: w.startTime,
    duration: w.duration,
    timezone: w.timezone,
    registrant: {
      id: r.id,
      first_name: r.firstName,
      last_name: r.lastName,
      email: r.email,
      status: "approved",
      join_url: r.joinUrl,
    },
  };
}

interface Person {
  email: string;
  first_name: string;
  last_name?: string;
  org?: string;
  job_title?: string;
  custom_questions?: SimCustomAnswer[];
}

function person(raw: unknown, prefix: string): Person {
  const b = asBody(raw);
  if (typeof b.email !== "string" || !EMAIL.test(b.email) || b.email.length > 128)
    throw invalidField(`${prefix}email`);
  if (typeof b.first_name !== "string" || b.first_name.trim() === "" || b.first_name.length > 64) {
    throw invalidField(`${prefix}first_name`);
  }
  for (const f of ["last_name", "org", "job_title"] as const) {
    if (b[f] !== undefined && typeof b[f] !== "string") throw invalidField(`${prefix}${f}`);
  }
  return b as unknown as Person;
}

/** Creates the registrant, or returns (and re-approves) the one with this e-mail. */
function upsert(ctx: RouteCtx, w: SimWebinar, p: Person): SimRegistrant {
  const existing = w.registrants.find((r) => r.email.toLowerCase() === p.email.toLowerCase());
  if (existing && !ctx.state.knobs.duplicateRegistrants) {
    if (existing.cancelled) {
      existing.cancelled = false;
      ctx.state.hooks.send("webinar.registration_created", w.accountId, webhookObject(w, existing));
    }
    return existing;
  }
  const id = randomBytes(16).toString("base64url").slice(0, 22);
  const r: SimRegistrant = {
    id,
    email: p.email,
    firstName: p.first_name,
    lastName: p.last_name ?? "",
    org: p.org ?? "",
    jobTitle: p.job_title ?? "",
    status: "approved",
    cancelled: false,
    createTime: new Date(ctx.state.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    joinUrl: `https://zoom.us/w/${w.id}?tk=${randomBytes(18).toString("base64url")}`,
    createdCount: (existing?.createdCount ?? 0) + 1,
    customQuestions: p.custom_questions ?? [],
  };
  if (existing) existing.createdCount = r.createdCount;
  w.registrants.push(r);
  // What Zoom would email the registrant now (inspection: GET /_sim/emails).
  if (w.confirmationEmail) ctx.state.sentEmails.push({ webinarId: w.id, to: r.email, kind: "confirmation" });
  ctx.state.hooks.send("webinar.registration_created", w.accountId, webhookObject(w, r));
  return r;
}

function add(ctx: RouteCtx) {
  const w = liveWebinar(ctx);
  const p = person(ctx.body, "");
  p.custom_questions = registrantAnswers(asBody(ctx.body).custom_questions, w.customQuestions);
  const cap = ctx.state.knobs.registrantDailyCap;
  if (!ctx.state.takeDaily("add", w.id, p.email))
    throw dailyLimit(ctx.state, "Add a webinar registrant", cap, p.email);
  const r = upsert(ctx, w, p);
  return {
    status: 201,
    body: { id: w.id, registrant_id: r.id, join_url: r.joinUrl, topic: w.topic, start_time: w.startTime },
  };
}

function batch(ctx: RouteCtx) {
  const w = liveWebinar(ctx);
  const b = asBody(ctx.body);
  if (w.type !== 5)
    throw new ZoomError(400, 300, "Batch registration is only available for webinars of type 5.");
  if (!Array.isArray(b.registrants) || b.registrants.length === 0 || b.registrants.length > 30) {
    throw invalidField("registrants");
  }
  const people = b.registrants.map((r, i) => person(r, `registrants[${i}].`));
  const cap = ctx.state.knobs.registrantDailyCap;
  for (const p of people) {
    if (!ctx.state.takeDaily("add", w.id, p.email))
      throw dailyLimit(ctx.state, "Webinar Batch Registration", cap, p.email);
  }
  const out = people.map((p) => upsert(ctx, w, p));
  return {
    status: 201,
    body: { registrants: out.map((r) => ({ email: r.email, join_url: r.joinUrl, registrant_id: r.id })) },
  };
}

function status(ctx: RouteCtx) {
  const w = liveWebinar(ctx);
  const b = asBody(ctx.body);
  if (b.action !== "approve" && b.action !== "deny" && b.action !== "cancel") throw invalidField("action");
  if (!Array.isArray(b.registrants) || b.registrants.length === 0 || b.registrants.length > 30) {
    throw invalidField("registrants");
  }
  const cap = ctx.state.knobs.registrantStatusDailyCap;
  for (const raw of b.registrants) {
    const ref = asBody(raw);
    const r = w.registrants.find(
      (x) =>
        (typeof ref.id === "string" && x.id === ref.id) ||
        (ref.id === undefined &&
          typeof ref.email === "string" &&
          x.email.toLowerCase() === ref.email.toLowerCase()),
    );
    if (!r) continue; // unknown registrants are ignored (Zoom documents no error for them)
    if (!ctx.state.takeDaily("status", w.id, r.email)) {
      throw dailyLimit(ctx.state, "webinar Update registrant's status", cap, r.email);
    }
    if (b.action === "cancel") {
      if (!r.cancelled) {
        r.cancelled = true;
        ctx.state.hooks.send("webinar.registration_cancelled", w.accountId, webhookObject(w, r));
      }
    } else {
      r.cancelled = false;
      r.status = b.action === "approve" ? "approved" : "denied";
    }
  }
  return { status: 204 };
}

function list(ctx: RouteCtx) {
  const w = liveWebinar(ctx);
  const wanted = ctx.query.status ?? "approved";
  if (!["approved", "pending", "denied"].includes(wanted)) throw invalidField("status");
  const size = pageSize(ctx.query);
  const matching = w.registrants.filter((r) => (r.cancelled ? "denied" : r.status) === wanted);
  const page = ctx.state.page(`reg:${w.id}:${wanted}`, matching, size, ctx.query.next_page_token);
  if (!page) throw new ZoomError(400, 300, "The next page token is invalid or expired.");
  return {
    status: 200,
    body: {
      page_count: Math.ceil(matching.length / size),
      page_size: size,
      total_records: matching.length,
      next_page_token: page.next,
      registrants: page.items.map(registrantJson),
    },
  };
}

function one(ctx: RouteCtx): SimRegistrant {
  const r = liveWebinar(ctx).registrants.find((x) => x.id === ctx.params.registrantId);
  if (!r) throw new ZoomError(404, 3043, "Registrant not found.");
  return r;
}

export const registrantRoutes: RouteDef[] = [
  { method: "POST", path: "/webinars/{webinarId}/registrants", category: "light", handler: add },
  { method: "POST", path: "/webinars/{webinarId}/batch_registrants", category: "heavy", handler: batch },
  { method: "PUT", path: "/webinars/{webinarId}/registrants/status", category: "medium", handler: status },
  { method: "GET", path: "/webinars/{webinarId}/registrants", category: "medium", handler: list },
  {
    method: "GET",
    path: "/webinars/{webinarId}/registrants/{registrantId}",
    category: "light",
    handler: (ctx) => ({ status: 200, body: registrantJson(one(ctx)) }),
  },
  {
    method: "DELETE",
    path: "/webinars/{webinarId}/registrants/{registrantId}",
    category: "light",
    handler: (ctx) => {
      const w = liveWebinar(ctx);
      const r = one(ctx);
      w.registrants = w.registrants.filter((x) => x !== r);
      return { status: 204 };
    },
  },
];
