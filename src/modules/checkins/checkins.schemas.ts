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

export const listCheckInsQuery = z.strictObject({
  ...paginationQuery,
  sessionId: uuid.optional(),
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
