// The operations of docs/provider-contract.openapi.json. Handlers are synchronous, so one
// request's read-check-write cannot interleave with another's (that is how the idempotency
// guarantees hold here; a real service needs a unique index or a lock for the same).
import { z } from "zod";
import { ApiError, attendanceOut, notFound, page, registrationOut, webinarOut } from "./render.ts";
import { type ContractState, emailKey, type Registration, WEBINAR_TYPES, type Webinar } from "./state.ts";
import { emit } from "./webhooks.ts";

export interface ApiCtx {
  state: ContractState;
  clientId: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface ApiResult {
  status: number;
  body?: unknown;
}

export interface ApiRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** As in the OpenAPI document. */
  path: string;
  /** Creates that honour Idempotency-Key. */
  idempotent?: boolean;
  handler: (ctx: ApiCtx) => ApiResult;
}

const instant = z.iso.datetime({ offset: true });
const optionalText = (max: number) => z.string().max(max).nullable().optional();

const webinarInput = z
  .strictObject({
    title: z.string().trim().min(1).max(300),
    description: z.string().max(20_000).default(""),
    startsAt: instant,
    endsAt: instant,
    timeZone: z.string().min(1).max(100),
    language: z.string().min(2).max(35),
    type: optionalText(100),
    externalRef: optionalText(200),
  })
  .refine((w) => Date.parse(w.endsAt) > Date.parse(w.startsAt), {
    message: "must be after startsAt",
    path: ["endsAt"],
  });

const registrationInput = z.strictObject({
  email: z.email().max(320),
  firstName: z.string().max(200),
  lastName: z.string().max(200),
  company: optionalText(200),
  jobTitle: optionalText(200),
});

const limitOf = (raw: string | undefined, dflt: number) => {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 200)
    throw new ApiError(400, "invalid_request", "limit must be an integer from 1 to 200", "limit");
  return n;
};

export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keys = (issue as { keys?: string[] } | undefined)?.keys;
  const field = [...(issue?.path ?? []).map(String), ...(keys?.slice(0, 1) ?? [])].join(".") || "(body)";
  throw new ApiError(422, "validation_failed", `${field}: ${keys ? "unknown field" : issue?.message}`, field);
}

function webinarOf(ctx: ApiCtx): Webinar {
  const w = ctx.state.liveWebinar(ctx.clientId, ctx.params.webinarId ?? "");
  if (!w) throw notFound("webinar");
  return w;
}

function applyWebinar(w: Webinar, input: z.infer<typeof webinarInput>) {
  const type = input.type ?? null;
  if (type !== null && !WEBINAR_TYPES.some((t) => t.id === type))
    throw new ApiError(422, "validation_failed", `type: unknown webinar type "${type}"`, "type");
  Object.assign(w, {
    title: input.title,
    description: input.description,
    startsAt: new Date(input.startsAt).toISOString(),
    endsAt: new Date(input.endsAt).toISOString(),
    timeZone: input.timeZone,
    language: input.language,
    type: type ?? WEBINAR_TYPES.find((t) => t.default)?.id ?? null,
    externalRef: input.externalRef ?? null,
    updatedAt: new Date().toISOString(),
  });
}

export const API_ROUTES: ApiRoute[] = [
  {
    method: "GET",
    path: "/webinar-types",
    handler: () => ({ status: 200, body: { data: WEBINAR_TYPES } }),
  },
  {
    method: "POST",
    path: "/webinars",
    idempotent: true,
    handler: (ctx) => {
      const input = parseInput(webinarInput, ctx.body);
      const now = new Date().toISOString();
      const id = ctx.state.newId("web");
      const w: Webinar = {
        id,
        clientId: ctx.clientId,
        title: "",
        description: "",
        startsAt: now,
        endsAt: now,
        timeZone: "UTC",
        language: "en",
        type: null,
        externalRef: null,
        joinUrl: `https://webinars.example.test/join/${id}`,
        status: "scheduled",
        createdAt: now,
        updatedAt: now,
        deleted: false,
      };
      applyWebinar(w, input);
      ctx.state.webinars.set(id, w);
      return { status: 201, body: webinarOut(w) };
    },
  },
  {
    // The lookup by our reference: live (not deleted) webinars created with this externalRef.
    method: "GET",
    path: "/webinars",
    handler: (ctx) => {
      const ref = ctx.query.externalRef;
      if (ref === undefined || ref === "")
        throw new ApiError(400, "invalid_request", "externalRef is required", "externalRef");
      const data = [...ctx.state.webinars.values()]
        .filter((w) => w.clientId === ctx.clientId && !w.deleted && w.externalRef === ref)
        .map(webinarOut);
      return { status: 200, body: { data } };
    },
  },
  {
    method: "GET",
    path: "/webinars/{webinarId}",
    handler: (ctx) => ({ status: 200, body: webinarOut(webinarOf(ctx)) }),
  },
  {
    method: "PUT",
    path: "/webinars/{webinarId}",
    handler: (ctx) => {
      const w = webinarOf(ctx);
      applyWebinar(w, parseInput(webinarInput, ctx.body));
      return { status: 200, body: webinarOut(w) };
    },
  },
  {
    method: "DELETE",
    path: "/webinars/{webinarId}",
    handler: (ctx) => {
      webinarOf(ctx).deleted = true;
      return { status: 204 };
    },
  },
  {
    method: "POST",
    path: "/webinars/{webinarId}/registrations",
    idempotent: true,
    handler: (ctx) => {
      const w = webinarOf(ctx);
      const input = parseInput(registrationInput, ctx.body);
      return registerPerson(ctx.state, w, input);
    },
  },
  {
    method: "GET",
    path: "/webinars/{webinarId}/registrations",
    handler: (ctx) => {
      const w = webinarOf(ctx);
      const { email, status } = ctx.query;
      if (status !== undefined && status !== "registered" && status !== "cancelled")
        throw new ApiError(400, "invalid_request", "status must be registered or cancelled", "status");
      const all = ctx.state
        .registrationsOf(w.id)
        .filter(
          (r) =>
            (email === undefined || emailKey(r.email) === emailKey(email)) &&
            (!status || r.status === status),
        );
      const p = page(all, ctx.query.cursor, limitOf(ctx.query.limit, 50));
      return { status: 200, body: { data: p.data.map(registrationOut), nextCursor: p.nextCursor } };
    },
  },
  {
    method: "DELETE",
    path: "/webinars/{webinarId}/registrations/{registrationId}",
    handler: (ctx) => {
      const w = webinarOf(ctx);
      const r = ctx.state.registrationsOf(w.id).find((x) => x.id === ctx.params.registrationId);
      if (!r) throw notFound("registration");
      cancelRegistration(ctx.state, r);
      return { status: 204 };
    },
  },
  {
    method: "GET",
    path: "/webinars/{webinarId}/attendance",
    handler: (ctx) => {
      const w = webinarOf(ctx);
      const p = page(ctx.state.attendeesOf(w.id), ctx.query.cursor, limitOf(ctx.query.limit, 100));
      return { status: 200, body: { data: p.data.map(attendanceOut), nextCursor: p.nextCursor } };
    },
  },
  {
    method: "POST",
    path: "/erasures",
    handler: (ctx) => {
      const { email } = parseInput(z.strictObject({ email: z.email().max(320) }), ctx.body);
      const key = emailKey(email);
      let erased = 0;
      for (const w of ctx.state.webinars.values()) {
        if (w.clientId !== ctx.clientId) continue;
        const regs = ctx.state.registrationsOf(w.id);
        const kept = regs.filter((r) => emailKey(r.email) !== key);
        erased += regs.length - kept.length;
        ctx.state.registrations.set(w.id, kept);
        ctx.state.attendance.set(
          w.id,
          ctx.state.attendeesOf(w.id).filter((a) => emailKey(a.email) !== key),
        );
      }
      ctx.state.erasures += 1;
      return { status: 200, body: { registrationsErased: erased } };
    },
  },
];

/**
 * Registration is idempotent by (webinar, e-mail): one record per person, registered again
 * (same id) after a cancellation. Every record is one creation, so a second record for an
 * e-mail is a duplicate.
 */
export function registerPerson(
  state: ContractState,
  w: Webinar,
  input: z.infer<typeof registrationInput>,
): ApiResult {
  const list = state.registrationsOf(w.id);
  const existing = state.knobs.idempotentByEmail
    ? list.findLast((r) => emailKey(r.email) === emailKey(input.email))
    : undefined;
  if (existing?.status === "registered") return { status: 200, body: registrationOut(existing) };
  if (existing) {
    existing.status = "registered";
    existing.cancelledAt = null;
    existing.reactivatedCount += 1;
    emit(state, "registration.created", w.id, registrationOut(existing));
    return { status: 201, body: registrationOut(existing) };
  }
  const id = state.newId("reg");
  const r: Registration = {
    seq: state.nextSeq(),
    id,
    webinarId: w.id,
    email: input.email,
    firstName: input.firstName,
    lastName: input.lastName,
    company: input.company ?? null,
    jobTitle: input.jobTitle ?? null,
    status: "registered",
    joinUrl: `${w.joinUrl}?r=${id}`,
    createdAt: new Date().toISOString(),
    cancelledAt: null,
    reactivatedCount: 0,
  };
  list.push(r);
  emit(state, "registration.created", w.id, registrationOut(r));
  return { status: 201, body: registrationOut(r) };
}

export function cancelRegistration(state: ContractState, r: Registration): void {
  if (r.status === "cancelled") return;
  r.status = "cancelled";
  r.cancelledAt = new Date().toISOString();
  emit(state, "registration.cancelled", r.webinarId, registrationOut(r));
}

export { registrationInput };
