import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { EventRow } from "../../db/schema.ts";
import { email, errorResponses, line, optionalLine, uuid } from "../../http/schemas.ts";
import { createAnswerFloor } from "../../lib/answer-floor.ts";
import { AppError, unprocessable } from "../../lib/errors.ts";
import type { RateLimiter } from "../../lib/rate-limit.ts";
import { instantToLocal } from "../../lib/time.ts";
import type { EventService } from "../events/events.service.ts";
import { answersInput, checkAnswers, QUESTION_TYPES } from "../events/registration-questions.ts";
import { campaignInput, parseCampaign } from "../registrations/campaign.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import type { Reminders } from "../registrations/reminders.ts";
import type { PublicService } from "./public.service.ts";
import { publicRegistrationRoutes } from "./public-registration.routes.ts";
import { unsubscribeRoutes } from "./unsubscribe.routes.ts";

const slugParams = z.strictObject({
  slug: z
    .string()
    .min(1)
    .max(80)
    .regex(/^[a-z0-9-]+$/, "is not a slug"),
});

const publicRegistrationBody = z.strictObject({
  firstName: line(100),
  lastName: line(100),
  email,
  company: optionalLine(200),
  jobTitle: optionalLine(200),
  sessionIds: z.array(uuid).max(100).default([]),
  consent: z.boolean().optional(),
  answers: answersInput.optional(),
  /** UTM parameters from the page's address and `document.referrer` (issue 15 point 8). */
  campaign: campaignInput,
});

const requirement = z.enum(["required", "optional"]);
const publicEvent = z.object({
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  startsAtLocal: z.string(),
  endsAtLocal: z.string(),
  timeZone: z.string(),
  format: z.enum(["onsite", "webinar", "hybrid"]),
  language: z.string(),
  registrationOpen: z.boolean(),
  /** Why registration is or is not possible now: its window, or the event is over. */
  registrationState: z.enum(["open", "not_yet_open", "closed"]),
  /** Places are not disclosed; `waitlist`: a registration now would be waitlisted. */
  availability: z.object({ limited: z.boolean(), full: z.boolean(), waitlist: z.boolean() }),
  registrationOpensAt: z.string().nullable(),
  registrationClosesAt: z.string().nullable(),
  fields: z.object({
    firstName: requirement,
    lastName: requirement,
    email: requirement,
    company: requirement.optional(),
    jobTitle: requirement.optional(),
  }),
  consentText: z.string().nullable(),
  /** The event's own questions, in display order (docs/registration-questions.md). */
  questions: z.array(
    z.object({
      id: z.string(),
      type: z.enum(QUESTION_TYPES),
      label: z.string(),
      required: z.boolean(),
      options: z.array(z.object({ id: z.string(), label: z.string() })),
      maxLength: z.number().nullable(),
    }),
  ),
  sessions: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      startsAt: z.string(),
      endsAt: z.string(),
      startsAtLocal: z.string(),
      endsAtLocal: z.string(),
    }),
  ),
});

/** The one answer to every accepted submission; nothing in it depends on the person. */
const submitted = z.object({ status: z.literal("submitted") });
const SUBMITTED = { status: "submitted" as const };

function registrationState(event: EventRow, now = new Date()): "open" | "not_yet_open" | "closed" {
  if (event.registration_opens_at && now < event.registration_opens_at) return "not_yet_open";
  if (event.registration_closes_at && now >= event.registration_closes_at) return "closed";
  if (now >= event.ends_at) return "closed";
  return "open";
}

/**
 * The public registration endpoint: published events only, only the fields the event asks
 * for, consent recorded with its text, and a per-address rate limit before any work.
 */
export function publicRoutes(
  app: FastifyInstance,
  deps: {
    publicPages: PublicService;
    events: EventService;
    registrations: RegistrationService;
    limiter: RateLimiter;
    publicUrl: string;
    reminders: Pick<Reminders, "unsubscribe">;
  },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { publicPages, registrations, limiter } = deps;
  const tags = ["public"];
  // Counted on arrival, before the body is read or validated: refused input costs a place too.
  const onRequest = async (request: FastifyRequest) => limiter.hit(request.ip);
  // The public form's answers leave no sooner than the 90th percentile of the recent
  // submissions' work (this process's, every kind of address), at least 150 ms (a registration
  // and its confirmation take a few tens of milliseconds on an idle machine), at most 3 s.
  const submitFloor = createAnswerFloor({ minMs: 150, maxMs: 3000 });

  r.get(
    "/api/v1/public/events/:slug",
    {
      schema: {
        tags,
        security: [],
        summary: "A published event as its registration page needs it",
        params: slugParams,
        response: { 200: publicEvent, ...errorResponses },
      },
      onRequest,
    },
    async (request) => {
      const { event, full, sessions } = await publicPages.eventPage(request.params.slug);
      const state = registrationState(event);
      return {
        slug: event.slug,
        title: event.title,
        description: event.description,
        startsAt: event.starts_at.toISOString(),
        endsAt: event.ends_at.toISOString(),
        startsAtLocal: instantToLocal(event.starts_at, event.time_zone),
        endsAtLocal: instantToLocal(event.ends_at, event.time_zone),
        timeZone: event.time_zone,
        format: event.format,
        language: event.language,
        registrationOpen: state === "open",
        registrationState: state,
        availability: { limited: event.capacity !== null, full, waitlist: full },
        registrationOpensAt: event.registration_opens_at?.toISOString() ?? null,
        registrationClosesAt: event.registration_closes_at?.toISOString() ?? null,
        fields: {
          firstName: "required" as const,
          lastName: "required" as const,
          email: "required" as const,
          ...event.registration_fields,
        },
        consentText: event.consent_text,
        questions: event.registration_questions.map(({ on24Field: _internal, ...q }) => q),
        sessions: sessions.map((s) => ({
          id: s.id,
          title: s.title,
          startsAt: s.starts_at.toISOString(),
          endsAt: s.ends_at.toISOString(),
          startsAtLocal: instantToLocal(s.starts_at, event.time_zone),
          endsAtLocal: instantToLocal(s.ends_at, event.time_zone),
        })),
      };
    },
  );

  r.post(
    "/api/v1/public/events/:slug/registrations",
    {
      schema: {
        tags,
        security: [],
        summary:
          "Register for a published event. The answer is the same whoever the address belongs to; what follows (the registrant's page, a confirmation link) goes to the address by email.",
        params: slugParams,
        body: publicRegistrationBody,
        response: { 202: submitted, ...errorResponses },
      },
      onRequest,
    },
    async (request, reply) => {
      const event = await publicPages.publishedEvent(request.params.slug);
      const body = request.body;
      const asked = event.registration_fields;
      for (const field of ["company", "jobTitle"] as const) {
        const given = body[field] !== undefined && body[field] !== null;
        if (given && !asked[field])
          throw new AppError(400, "field_not_asked", `${field}: this event does not ask for it`, { field });
        if (!given && asked[field] === "required")
          throw new AppError(400, "validation_failed", `${field}: required`, { field });
      }
      if (event.consent_text && body.consent !== true) {
        throw unprocessable(
          "consent_required",
          "consent: the registrant must accept the consent text",
          "consent",
        );
      }
      if (!event.consent_text && body.consent !== undefined) {
        throw new AppError(400, "field_not_asked", "consent: this event does not ask for it", {
          field: "consent",
        });
      }
      // Checked here too, before the state: a bad answer is the form's mistake, named at once.
      const answers = checkAnswers(event.registration_questions, body.answers);
      const campaign = parseCampaign(body.campaign);
      const state = registrationState(event);
      if (state !== "open")
        throw new AppError(409, `registration_${state}`, `Registration is ${state.replace(/_/g, " ")}`);
      // Everything above depends on the event and the input's form only; from here on the
      // address's owner matters, and neither the answer nor its timing may (docs/email.md,
      // "Public form"): a new person's registration and confirmation take longer than an
      // erased address's nothing, so the answer waits for the floor.
      await submitFloor.run(() =>
        registrations.submitPublic(
          event.organization_id,
          event.id,
          {
            firstName: body.firstName,
            lastName: body.lastName,
            email: body.email,
            company: body.company,
            jobTitle: body.jobTitle,
          },
          { sessionIds: body.sessionIds, consentText: event.consent_text, answers, campaign },
        ),
      );
      return reply.code(202).send(SUBMITTED);
    },
  );

  r.post(
    "/api/v1/public/registrations/cancel",
    {
      schema: {
        tags,
        security: [],
        summary: "Cancel a registration with the secret from its confirmation",
        body: z.strictObject({ token: z.string().min(1).max(200) }),
        response: { 200: z.object({ id: z.string(), status: z.literal("cancelled") }), ...errorResponses },
      },
      onRequest,
    },
    async (request) => {
      return registrations.cancelByToken(request.body.token);
    },
  );

  r.post(
    "/api/v1/public/registrations/confirm",
    {
      schema: {
        tags,
        security: [],
        summary:
          "Double opt-in: confirm a registration with the token from the emailed link (single use). The registrant's page link follows by email.",
        body: z.strictObject({
          token: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, "is not a confirmation token"),
        }),
        response: { 200: z.object({ status: z.enum(["registered", "waitlisted"]) }), ...errorResponses },
      },
      onRequest,
      // The token is in the body, which is never logged; the path carries nothing secret.
    },
    async (request) => registrations.confirmByToken(request.body.token),
  );

  publicRegistrationRoutes(app, { publicPages, registrations, onRequest, publicUrl: deps.publicUrl });
  unsubscribeRoutes(app, { reminders: deps.reminders, onRequest });
}
