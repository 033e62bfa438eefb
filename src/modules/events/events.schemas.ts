import { z } from "zod";
import { line, optionalLine, paginationQuery, text } from "../../http/schemas.ts";
import { DATE_TIME_INPUT_RE, isValidTimeZone } from "../../lib/time.ts";

export const eventFormat = z.enum(["onsite", "webinar", "hybrid"]);
export const eventStatus = z.enum(["draft", "published", "cancelled"]);

/** An instant (`…Z`, `…+02:00`) or a wall-clock time read in the event's time zone. */
export const dateTimeInput = z
  .string()
  .max(40)
  .regex(DATE_TIME_INPUT_RE, "must be an ISO 8601 date-time, with or without an offset");

export const timeZone = z
  .string()
  .max(64)
  .refine(isValidTimeZone, "must be an IANA time zone such as Europe/Oslo");

const fieldRequirement = z.enum(["required", "optional"]);
export const registrationFields = z.strictObject({
  company: fieldRequirement.optional(),
  jobTitle: fieldRequirement.optional(),
});

const slug = z
  .string()
  .max(80)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lowercase letters, digits and single dashes");

export const createEventBody = z.strictObject({
  title: line(200),
  description: text(20_000).default(""),
  startsAt: dateTimeInput,
  endsAt: dateTimeInput,
  timeZone,
  format: eventFormat,
  language: z
    .string()
    .max(35)
    .regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en or nb-NO")
    .default("en"),
  capacity: z.number().int().min(0).max(1_000_000).nullable().default(null),
  registrationOpensAt: dateTimeInput.nullable().default(null),
  registrationClosesAt: dateTimeInput.nullable().default(null),
  slug: slug.optional(),
  registrationFields: registrationFields.default({}),
  consentText: text(5_000).nullable().default(null),
});

export const updateEventBody = createEventBody
  .omit({ slug: true })
  .partial()
  .extend({ slug: slug.optional() })
  .strict();

export const listEventsQuery = z.strictObject({
  ...paginationQuery,
  status: eventStatus.optional(),
  q: optionalLine(200),
});

export const eventResponse = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  startsAtLocal: z.string(),
  endsAtLocal: z.string(),
  timeZone: z.string(),
  format: eventFormat,
  language: z.string(),
  capacity: z.number().nullable(),
  registrationOpensAt: z.string().nullable(),
  registrationClosesAt: z.string().nullable(),
  status: eventStatus,
  slug: z.string(),
  registrationFields,
  consentText: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const createSessionBody = z.strictObject({
  title: line(200),
  description: text(20_000).default(""),
  startsAt: dateTimeInput,
  endsAt: dateTimeInput,
  format: eventFormat.nullable().default(null),
});
export const updateSessionBody = createSessionBody.partial().strict();

export const sessionResponse = z.object({
  id: z.string(),
  eventId: z.string(),
  title: z.string(),
  description: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  startsAtLocal: z.string(),
  endsAtLocal: z.string(),
  /** Null means the session takes the event's format. */
  format: eventFormat.nullable(),
  effectiveFormat: eventFormat,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type CreateEventInput = z.infer<typeof createEventBody>;
export type UpdateEventInput = z.infer<typeof updateEventBody>;
export type CreateSessionInput = z.infer<typeof createSessionBody>;
export type UpdateSessionInput = z.infer<typeof updateSessionBody>;
