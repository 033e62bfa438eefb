import { z } from "zod";
import { line, optionalLine, paginationQuery, text, uuid } from "../../http/schemas.ts";
import { DATE_TIME_INPUT_RE, isValidTimeZone } from "../../lib/time.ts";
import { registrationQuestion, registrationQuestionsInput } from "./registration-questions.ts";

export const eventFormat = z.enum(["onsite", "webinar", "hybrid"]);
export const eventStatus = z.enum(["draft", "published", "cancelled"]);

const PARTS_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))?$/;

/**
 * The format regex admits `2030-02-30T25:00`, which `Date.UTC` would quietly roll over to
 * another day (and it reads years below 100 as 19xx): every calendar field is checked.
 */
function isRealDateTime(value: string): boolean {
  const m = PARTS_RE.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((p) => Number(p ?? 0));
  if (year === undefined || month === undefined || day === undefined) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    year >= 1900 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    (hour ?? 0) <= 23 &&
    (minute ?? 0) <= 59 &&
    (second ?? 0) <= 59 &&
    (offH ?? 0) <= 14 &&
    (offM ?? 0) <= 59
  );
}

/** An instant (`…Z`, `…+02:00`) or a wall-clock time read in the event's time zone. */
export const dateTimeInput = z
  .string()
  .max(40)
  .regex(DATE_TIME_INPUT_RE, "must be an ISO 8601 date-time, with or without an offset")
  .refine(isRealDateTime, "must be a real date and time (year 1900 or later)");

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

/** A provider's webinar type (ON24 event type), checked against the chosen provider. */
const webinarType = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9_-]+$/i, "must be a webinar type id");

const capacity = z.number().int().min(0).max(1_000_000).nullable();
const language = z
  .string()
  .max(35)
  .regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en or nb-NO");

/**
 * The event fields without defaults. Create adds the defaults; update makes them optional
 * as they are — a `.partial()` over defaulted fields would fill every omitted field with its
 * default and so wipe it on PATCH.
 */
const eventFields = {
  title: line(200),
  description: text(20_000),
  startsAt: dateTimeInput,
  endsAt: dateTimeInput,
  timeZone,
  format: eventFormat,
  language,
  capacity,
  registrationOpensAt: dateTimeInput.nullable(),
  registrationClosesAt: dateTimeInput.nullable(),
  slug,
  registrationFields,
  /** Custom questions (registration-questions.ts): checked by the service, so a bad one is a 422. */
  registrationQuestions: registrationQuestionsInput,
  consentText: text(5_000).nullable(),
  /** The provider account that runs the event as a webinar (format webinar or hybrid). */
  webinarConfigurationId: uuid.nullable(),
  webinarType: webinarType.nullable(),
};

export const createEventBody = z.strictObject({
  ...eventFields,
  description: eventFields.description.default(""),
  language: language.default("en"),
  capacity: capacity.default(null),
  registrationOpensAt: eventFields.registrationOpensAt.default(null),
  registrationClosesAt: eventFields.registrationClosesAt.default(null),
  slug: slug.optional(),
  registrationFields: registrationFields.default({}),
  registrationQuestions: registrationQuestionsInput.default([]),
  consentText: eventFields.consentText.default(null),
  webinarConfigurationId: eventFields.webinarConfigurationId.default(null),
  webinarType: eventFields.webinarType.default(null),
});

export const updateEventBody = z.strictObject(eventFields).partial();

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
  registrationQuestions: z.array(registrationQuestion),
  consentText: z.string().nullable(),
  webinarConfigurationId: z.string().nullable(),
  webinarType: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const sessionFields = {
  title: line(200),
  description: text(20_000),
  startsAt: dateTimeInput,
  endsAt: dateTimeInput,
  /** Null: the session takes the event's format. */
  format: eventFormat.nullable(),
  webinarConfigurationId: uuid.nullable(),
  webinarType: webinarType.nullable(),
};

export const createSessionBody = z.strictObject({
  ...sessionFields,
  description: sessionFields.description.default(""),
  format: sessionFields.format.default(null),
  webinarConfigurationId: sessionFields.webinarConfigurationId.default(null),
  webinarType: sessionFields.webinarType.default(null),
});
// Same reason as updateEventBody: no defaults on PATCH.
export const updateSessionBody = z.strictObject(sessionFields).partial();

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
  webinarConfigurationId: z.string().nullable(),
  webinarType: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type CreateEventInput = z.infer<typeof createEventBody>;
export type UpdateEventInput = z.infer<typeof updateEventBody>;
export type CreateSessionInput = z.infer<typeof createSessionBody>;
export type UpdateSessionInput = z.infer<typeof updateSessionBody>;
