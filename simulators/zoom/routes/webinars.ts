// Webinar create/get/update/delete (Zoom "Webinars" API; field names from the SDK's
// WebinarsCreateWebinarRequestBody / Response). Labels: all Light.
import { randomBytes } from "node:crypto";
import { invalidField, type RouteCtx, type RouteDef, webinarNotFound, ZoomError } from "../http.ts";
import type { SimWebinar } from "../types.ts";

type Body = Record<string, unknown>;

const asBody = (b: unknown): Body => (b && typeof b === "object" && !Array.isArray(b) ? (b as Body) : {});

function isZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks and applies the writable fields; `create` also requires a valid type. */
function applyFields(w: SimWebinar, b: Body): void {
  // The registrant email switches; other settings are accepted as before and not kept.
  if (b.settings !== undefined) {
    const settings = b.settings as Record<string, unknown> | null;
    if (typeof settings !== "object" || settings === null) throw invalidField("settings");
    for (const [key, field] of [
      ["registrants_confirmation_email", "confirmationEmail"],
      ["registrants_email_notification", "reminderEmails"],
    ] as const) {
      const v = settings[key];
      if (v === undefined) continue;
      if (typeof v !== "boolean") throw invalidField(`settings.${key}`);
      w[field] = v;
    }
  }
  if (b.topic !== undefined) {
    if (typeof b.topic !== "string" || b.topic.length > 200) throw invalidField("topic");
    w.topic = b.topic;
  }
  if (b.agenda !== undefined) {
    if (typeof b.agenda !== "string" || b.agenda.length > 2000) throw invalidField("agenda");
    w.agenda = b.agenda;
  }
  if (b.start_time !== undefined) {
    if (typeof b.start_time !== "string" || Number.isNaN(Date.parse(b.start_time)))
      throw invalidField("start_time");
    w.startTime = `${new Date(b.start_time).toISOString().slice(0, 19)}Z`;
  }
  if (b.duration !== undefined) {
    if (typeof b.duration !== "number" || !Number.isInteger(b.duration) || b.duration < 1) {
      throw invalidField("duration");
    }
    w.duration = b.duration;
  }
  if (b.timezone !== undefined) {
    if (typeof b.timezone !== "string" || !isZone(b.timezone)) throw invalidField("timezone");
    w.timezone = b.timezone;
  }
}

export function webinarJson(w: SimWebinar, origin = "https://zoom.us") {
  return {
    uuid: w.uuid,
    id: w.id,
    host_id: w.hostId,
    topic: w.topic,
    type: w.type,
    start_time: w.startTime,
    duration: w.duration,
    timezone: w.timezone,
    agenda: w.agenda,
    created_at: w.createdAt,
    join_url: `${origin}/j/${w.id}`,
    registration_url: `${origin}/webinar/register/WN_${w.uuid.slice(0, 22)}`,
    settings: {
      approval_type: 0,
      registration_type: 1,
      registrants_confirmation_email: w.confirmationEmail,
      registrants_email_notification: w.reminderEmails,
    },
  };
}

function create(ctx: RouteCtx) {
  const b = asBody(ctx.body);
  const type = b.type ?? 5;
  if (type !== 5 && type !== 6 && type !== 9) throw invalidField("type");
  if (type === 9 && (typeof b.recurrence !== "object" || b.recurrence === null)) {
    throw new ZoomError(400, 300, "Recurrence is required for a recurring webinar with a fixed time.");
  }
  const now = new Date(ctx.state.now());
  const w: SimWebinar = {
    id: ctx.state.newWebinarId(),
    uuid: randomBytes(16).toString("base64"),
    accountId: ctx.accountId,
    hostId: ctx.params.userId === "me" ? `host-${ctx.accountId}` : (ctx.params.userId ?? "me"),
    topic: "Zoom Webinar",
    type,
    startTime: `${now.toISOString().slice(0, 19)}Z`,
    duration: 60,
    timezone: "UTC",
    agenda: "",
    createdAt: `${now.toISOString().slice(0, 19)}Z`,
    deleted: false,
    confirmationEmail: true,
    reminderEmails: true,
    standardQuestions: [],
    customQuestions: [],
    registrants: [],
    report: [],
  };
  applyFields(w, b);
  ctx.state.webinars.set(w.id, w);
  return { status: 201, body: webinarJson(w) };
}

function live(ctx: RouteCtx): SimWebinar {
  const w = ctx.state.webinar(ctx.accountId, ctx.params.webinarId ?? "");
  if (!w) throw webinarNotFound(ctx.params.webinarId ?? "");
  return w;
}

export const webinarRoutes: RouteDef[] = [
  { method: "POST", path: "/users/{userId}/webinars", category: "light", handler: create },
  {
    method: "GET",
    path: "/users/{userId}/webinars",
    category: "medium",
    // WebinarsListWebinars: `page_size` (default 30, at most 300) and `next_page_token`, as the
    // registrant lists page; the token here is the next offset.
    handler: (ctx) => {
      const all = [...ctx.state.webinars.values()].filter((w) => w.accountId === ctx.accountId && !w.deleted);
      const size = Math.min(300, Math.max(1, Number(ctx.query.page_size ?? 30) || 30));
      const from = Math.max(0, Number(ctx.query.next_page_token ?? 0) || 0);
      const next = from + size < all.length ? String(from + size) : "";
      return {
        status: 200,
        body: {
          next_page_token: next,
          page_size: size,
          total_records: all.length,
          webinars: all.slice(from, from + size).map((w) => webinarJson(w)),
        },
      };
    },
  },
  {
    method: "GET",
    path: "/webinars/{webinarId}",
    category: "light",
    handler: (ctx) => ({ status: 200, body: webinarJson(live(ctx)) }),
  },
  {
    method: "PATCH",
    path: "/webinars/{webinarId}",
    category: "light",
    handler: (ctx) => {
      applyFields(live(ctx), asBody(ctx.body));
      return { status: 204 };
    },
  },
  {
    method: "DELETE",
    path: "/webinars/{webinarId}",
    category: "light",
    handler: (ctx) => {
      live(ctx).deleted = true;
      return { status: 204 };
    },
  },
];

export { asBody, live as liveWebinar };
