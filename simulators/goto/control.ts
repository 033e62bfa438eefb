// Simulator control API under /_sim (not part of GoTo). JSON in, JSON out; no auth. Keys are
// strings here, because this API is ours and its clients should not need a big-number parser.
import { z } from "zod";
import { sendDueReminders } from "./emails.ts";
import { badRequest, notFound } from "./errors.ts";
import type { Result } from "./pipeline.ts";
import { runWebinar, secondsPerEmail } from "./run.ts";
import { selfRegistration } from "./self-registration.ts";
import type { GotoSimState } from "./state.ts";

const knobsSchema = z
  .object({
    accessTokenTtlSeconds: z.number().int().positive(),
    rateLimitPerSecond: z.number().int().positive().nullable(),
    retryAfterSeconds: z.number().int().min(0).nullable(),
    latencyMs: z.number().min(0),
    jitterMs: z.number().min(0),
    faultRateBeforeCommit: z.number().min(0).max(1),
    faultRateAfterCommit: z.number().min(0).max(1),
    readFaultRate: z.number().min(0).max(1),
    faultKinds: z.array(z.enum(["500", "502", "503", "reset"])).min(1),
    tokenCarriesOrganizerKey: z.boolean(),
    rotateRefreshTokens: z.boolean(),
  })
  .partial()
  .strict();

const runSchema = z.object({
  attendees: z.array(
    z.object({
      email: z.string().min(3),
      minutes: z
        .number()
        .min(0)
        .max(24 * 60),
      firstName: z.string().optional(),
      lastName: z.string().optional(),
    }),
  ),
});

const questionsSchema = z.array(
  z.object({
    question: z.string().min(1),
    type: z.enum(["shortAnswer", "multipleChoice"]),
    required: z.boolean().default(false),
    // RegistrationQuestion: "The character size of the custom registration field (max 1000)".
    maxSize: z.number().int().min(1).max(1000).default(128),
    answers: z.array(z.string().min(1)).optional(),
  }),
);

function parse<T>(schema: z.ZodType<T>, raw: string): T {
  let json: unknown = {};
  try {
    json = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    throw badRequest("body is not JSON");
  }
  const r = schema.safeParse(json);
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return r.data;
}

function key(v: string | undefined): bigint {
  if (!v || !/^\d{1,19}$/.test(v)) throw badRequest("key must be numeric");
  return BigInt(v);
}

export function control(state: GotoSimState, method: string, path: string, raw: string): Result {
  const seg = path.split("/").filter(Boolean); // after "/_sim"
  const route = `${method} /${seg.map((s, i) => (/^\d+$/.test(s) && i > 0 ? ":k" : s)).join("/")}`;
  switch (route) {
    case "POST /reset":
      state.reset();
      return { body: { ok: true } };
    case "GET /emails":
      sendDueReminders(state);
      return { body: state.sentEmails };
    case "GET /knobs":
      return { body: state.knobs };
    case "POST /knobs":
      return { body: state.setKnobs(parse(knobsSchema, raw)) };
    case "GET /requests":
      return {
        body: {
          total: state.requestTotal(),
          rateLimited: state.rateLimited,
          byEndpoint: Object.fromEntries(state.requestCounts),
        },
      };
    case "POST /tokens/expire":
      return { body: { expired: state.expireAccessTokens() } };
    case "POST /clock/advance": {
      const { ms } = parse(z.object({ ms: z.number().int().min(0) }), raw);
      return { body: { now: new Date(state.advanceClock(ms)).toISOString() } };
    }
    case "GET /webinars/:k": {
      const w = state.webinars.get(key(seg[1]));
      if (!w) throw notFound("unknown webinar");
      return {
        body: {
          webinarKey: String(w.webinarKey),
          exists: !w.deleted,
          subject: w.subject,
          description: w.description,
          type: w.type,
          times: w.times,
          timeZone: w.timeZone,
          locale: w.locale,
          emailSettings: {
            confirmationEmail: { enabled: w.confirmationEmail },
            reminderEmail: { enabled: w.reminderEmail },
          },
          sessions: (state.sessions.get(w.webinarKey) ?? []).length,
        },
      };
    }
    case "POST /webinars/:k/in-session": {
      const w = state.webinars.get(key(seg[1]));
      if (!w) throw notFound("unknown webinar");
      w.inSession = parse(z.object({ inSession: z.boolean() }), raw).inSession;
      return { body: { inSession: w.inSession } };
    }
    case "GET /webinars/:k/registrants": {
      const wk = key(seg[1]);
      const counts = state.createdCounts.get(wk) ?? new Map<string, number>();
      return {
        body: state.registrantsOf(wk, true).map((r) => ({
          email: r.email,
          registrantKey: String(r.registrantKey),
          status: r.deleted ? "cancelled" : "registered",
          createdCount: counts.get(r.email.toLowerCase()) ?? 0,
        })),
      };
    }
    case "POST /webinars/:k/run": {
      const wk = key(seg[1]);
      const run = runWebinar(state, wk, parse(runSchema, raw).attendees);
      return { body: { sessionKey: String(run.sessionKey), seconds: run.seconds } };
    }
    case "PUT /webinars/:k/questions": {
      // What the organizer sets on GoTo's site: the API has no call for it.
      const w = state.webinars.get(key(seg[1]));
      if (!w) throw notFound("unknown webinar");
      let next = 1000;
      w.questions = parse(questionsSchema, raw).map((q) => ({
        questionKey: next++,
        question: q.question,
        required: q.required,
        type: q.type,
        maxSize: q.maxSize,
        ...(q.type === "multipleChoice" && {
          answers: (q.answers ?? []).map((answer) => ({ answerKey: next++, answer })),
        }),
      }));
      return { body: { questions: w.questions } };
    }
    case "GET /webinars/:k/registrants/responses": {
      const wk = key(seg[1]);
      return {
        body: state.registrantsOf(wk, true).map((r) => ({ email: r.email, responses: r.responses })),
      };
    }
    case "GET /webinars/:k/attendance":
      return { body: { seconds: secondsPerEmail(state, key(seg[1])) } };
  }
  const acc = /^POST \/accounts\/([^/]+)\/(revoke|restore|forbid|permit|expire-refresh)$/.exec(
    `${method} /${seg.map(decodeURIComponent).join("/")}`,
  );
  if (acc) {
    const account = state.accountByClient(acc[1] as string);
    if (!account) throw notFound("unknown client");
    if (acc[2] === "revoke") account.refreshTokens = new Set();
    if (acc[2] === "restore") {
      account.refreshTokens = new Set([account.refreshToken]);
      account.refreshExpired = false;
    }
    if (acc[2] === "expire-refresh") account.refreshExpired = true;
    if (acc[2] === "forbid" || acc[2] === "permit") account.permitted = acc[2] === "permit";
    return { body: { refreshTokens: account.refreshTokens.size, permitted: account.permitted } };
  }
  const own = selfRegistration(state, method, seg, raw);
  if (own) return own;
  throw notFound(`no control route ${method} /_sim${path}`);
}
