import { z } from "zod";
import { optionalLine, paginationQuery, text, uuid } from "../../http/schemas.ts";
import { contactResponse, personInput } from "../contacts/contacts.schemas.ts";
import { answersInput } from "../events/registration-questions.ts";
import { campaignInput, campaignResponse } from "./campaign.ts";
import { REGISTRATION_SORTS } from "./registrations.list.ts";
import { resultsResponse } from "./results.ts";

export const registrationStatus = z.enum(["pending_confirmation", "registered", "waitlisted", "cancelled"]);
export const registrationSource = z.enum(["api", "public", "import", "provider"]);

export const createRegistrationBody = z
  .strictObject({
    contactId: uuid.optional(),
    contact: personInput.optional(),
    sessionIds: z.array(uuid).max(100).default([]),
    consentText: text(5_000).optional(),
    answers: answersInput.optional(),
    /** Where the person came from (optional): UTM parameters and referrer. */
    campaign: campaignInput,
  })
  .refine((b) => (b.contactId === undefined) !== (b.contact === undefined), {
    message: "give exactly one of contactId or contact",
    path: ["contact"],
  });

export const idempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
});

export const listRegistrationsQuery = z.strictObject({
  ...paginationQuery,
  // Longer than other cursors: it carries the sort key (an email can be 254 characters).
  cursor: z.string().max(1_000).optional(),
  status: registrationStatus.optional(),
  q: optionalLine(200),
  sync: z.enum(["pending", "synced", "held", "failed", "cancelled", "none"]).optional(),
  attended: z
    .enum(["true", "false"], { message: "must be true or false" })
    .transform((v) => v === "true")
    .optional(),
  sort: z.enum(REGISTRATION_SORTS).optional(),
});

export const registrationResponse = z.object({
  id: z.string(),
  eventId: z.string(),
  status: registrationStatus,
  source: registrationSource,
  contact: contactResponse,
  sessionIds: z.array(z.string()),
  consentAt: z.string().nullable(),
  /** Answers to the event's registration questions, by question id. */
  answers: z.record(z.string(), z.union([z.string(), z.array(z.string()), z.boolean()])),
  /** UTM parameters and referrer it arrived with; null when none is known. */
  campaign: campaignResponse,
  /** Attendance summed over its webinars, and whether the person attended (on line or on site). */
  results: resultsResponse.optional(),
  cancelledAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Per webinar this registration belongs to: sync state with the provider, join link, attendance. */
  webinar: z
    .array(
      z.object({
        webinarId: z.string(),
        state: z.enum(["pending", "synced", "held", "failed", "cancelled"]),
        joinUrl: z.string().nullable(),
        lastError: z.string().nullable(),
        syncedAt: z.string().nullable(),
        liveMinutes: z.number().nullable(),
        onDemandMinutes: z.number().nullable(),
        engagementScore: z.number().nullable(),
        questionsAsked: z.number().nullable(),
        pollsAnswered: z.number().nullable(),
        resourcesDownloaded: z.number().nullable(),
        firstActivityAt: z.string().nullable(),
        lastActivityAt: z.string().nullable(),
      }),
    )
    .optional(),
});

export type CreateRegistrationInput = z.infer<typeof createRegistrationBody>;
export type RegistrationDto = z.infer<typeof registrationResponse>;
