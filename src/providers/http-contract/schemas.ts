/**
 * Answers of a service that implements the open provider contract. Each schema mirrors one
 * schema of docs/provider-contract.openapi.json (named in the comment above it); the test
 * test/providers/http-contract.schemas.test.ts parses the document's examples with these, so
 * the two cannot drift apart silently. Unknown fields are allowed (a service may add its own).
 */
import { z } from "zod";

const id = z.string().min(1).max(200);
const instant = z.iso.datetime({ offset: true });
const seconds = z.number().int().min(0);
const count = z.number().int().min(0);

/** #/components/schemas/TokenResponse (RFC 6749 §5.1). */
export const contractToken = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive(),
});

/** #/components/schemas/Error — the body of every failed call except the token endpoint. */
export const contractError = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

/** #/components/schemas/OAuthError (RFC 6749 §5.2) — failures of the token endpoint. */
export const contractOAuthError = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

/** #/components/schemas/WebinarType. */
export const contractWebinarTypes = z.object({
  data: z.array(z.object({ id, label: z.string(), default: z.boolean() })),
});

/** #/components/schemas/Webinar. */
export const contractWebinar = z.object({
  id,
  title: z.string(),
  description: z.string(),
  startsAt: instant,
  endsAt: instant,
  timeZone: z.string(),
  language: z.string(),
  type: z.string().nullable(),
  externalRef: z.string().nullable(),
  joinUrl: z.string().nullable(),
  status: z.enum(["scheduled", "live", "ended"]),
  /** Optional (added with issue 15): where people watch it after the end. */
  recording: z
    .object({
      url: z.string().min(1),
      kind: z.enum(["on_demand", "recording"]),
      availableUntil: instant.nullable(),
    })
    .nullable()
    .optional(),
  createdAt: instant,
  updatedAt: instant,
});

/** #/components/schemas/Registration. */
export const contractRegistration = z.object({
  id,
  webinarId: id,
  email: z.string().min(3),
  firstName: z.string(),
  lastName: z.string(),
  company: z.string().nullable(),
  jobTitle: z.string().nullable(),
  status: z.enum(["registered", "cancelled"]),
  joinUrl: z.string().nullable(),
  createdAt: instant,
  cancelledAt: instant.nullable(),
});
export type ContractRegistration = z.infer<typeof contractRegistration>;

/** GET /webinars?externalRef= — #/components/schemas/WebinarList: the live webinars with that reference. */
export const contractWebinarList = z.object({ data: z.array(contractWebinar) });

/** #/components/schemas/RegistrationPage. */
export const contractRegistrationPage = z.object({
  data: z.array(contractRegistration),
  nextCursor: z.string().min(1).nullable(),
});

/** #/components/schemas/Attendance — one person's viewing, summed over their intervals. */
export const contractAttendance = z.object({
  attendeeId: id,
  registrationId: id.nullable(),
  email: z.string().min(3),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  company: z.string().nullable(),
  jobTitle: z.string().nullable(),
  liveSeconds: seconds,
  onDemandSeconds: seconds,
  intervals: z.array(
    z.object({ mode: z.enum(["live", "on_demand"]), joinedAt: instant, leftAt: instant.nullable() }),
  ),
  engagement: z.object({
    score: z.number().min(0).max(100).nullable(),
    questionsAsked: count,
    pollsAnswered: count,
    resourcesDownloaded: count,
  }),
});
export type ContractAttendance = z.infer<typeof contractAttendance>;

/** #/components/schemas/AttendancePage. */
export const contractAttendancePage = z.object({
  data: z.array(contractAttendance),
  nextCursor: z.string().min(1).nullable(),
});

/** #/components/schemas/ErasureResult. */
export const contractErasure = z.object({ registrationsErased: count });

/** #/components/schemas/WebhookEvent — one signed delivery (see docs/provider-contract.md). */
export const contractWebhookEvent = z.discriminatedUnion("type", [
  z.object({
    id,
    type: z.enum(["registration.created", "registration.cancelled"]),
    createdAt: instant,
    webinarId: id,
    data: contractRegistration,
  }),
  z.object({
    id,
    type: z.literal("attendance.updated"),
    createdAt: instant,
    webinarId: id,
    data: z.object({ attendees: count }),
  }),
]);
export type ContractWebhookEvent = z.infer<typeof contractWebhookEvent>;
