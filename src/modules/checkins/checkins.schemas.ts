import { z } from "zod";
import { paginationQuery, uuid } from "../../http/schemas.ts";

export const createCheckInBody = z.strictObject({
  registrationId: uuid,
  /** Absent: a check-in to the event as a whole. */
  sessionId: uuid.nullable().optional(),
  /** When the badge was scanned; scanners that sync late send the original time. */
  checkedInAt: z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 instant with an offset or Z" })
    .optional(),
});

/** The most ids one list call takes: a desk's page of search results, with room to spare. */
const MAX_REGISTRATION_IDS = 50;

export const listCheckInsQuery = z.strictObject({
  ...paginationQuery,
  sessionId: uuid.optional(),
  registrationIds: z
    .string()
    .max(MAX_REGISTRATION_IDS * 37)
    .transform((s) => s.split(","))
    .pipe(z.array(uuid).min(1).max(MAX_REGISTRATION_IDS))
    .optional()
    .describe(
      `Comma-separated registration ids (up to ${MAX_REGISTRATION_IDS}): only their check-ins, whatever their age`,
    ),
});

export const checkInResponse = z.object({
  id: z.string(),
  eventId: z.string(),
  registrationId: z.string(),
  sessionId: z.string().nullable(),
  kind: z.enum(["onsite", "webinar"]),
  checkedInAt: z.string(),
  createdAt: z.string(),
  contact: z.object({ id: z.string(), firstName: z.string(), lastName: z.string() }),
});

export type CreateCheckInInput = z.infer<typeof createCheckInBody>;
export type CheckInDto = z.infer<typeof checkInResponse>;

export const checkInCountsResponse = z.object({
  checkedIn: z.number().int().describe("Registrations checked in at the door (the event itself, on site)"),
  registered: z.number().int().describe("Registrations with status registered"),
});
