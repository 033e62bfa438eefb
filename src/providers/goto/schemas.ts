/**
 * Zod schemas of the GoTo Webinar v2 answers the adapter reads, after the cited OpenAPI document
 * (https://developer.goto.com/GoToWebinarV2, copied in specs/goto-webinar/openapi.yml).
 * Objects are loose (GoTo adds fields) but every field we use is checked. Keys leave as strings:
 * the document types some as int64 numbers and others as strings, and the int64 ones exceed 2^53
 * (json.ts keeps them exact).
 */
import { z } from "zod";

/** A GoTo key: a digit string, or a (safe) JSON integer; always handed on as a string. */
export const gotoKey = z
  .union([z.string().regex(/^\d{1,19}$/), z.number().int().nonnegative()])
  .transform((v) => String(v));

const dateTime = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

/**
 * Token endpoint answer ("How to obtain and use refresh tokens"): `access_token`, `expires_in`
 * (3600), and — only when GoTo issued a new one — `refresh_token`. Older answers also carried
 * `organizer_key` and `account_key` (docs/providers/goto.md [G4]).
 */
export const gotoTokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  token_type: z.string().optional(),
  refresh_token: z.string().min(1).optional(),
  organizer_key: gotoKey.optional().or(z.literal("").transform(() => undefined)),
});
export type GotoTokenAnswer = z.infer<typeof gotoTokenAnswer>;

/** RFC 6749 §5.2 error of the token endpoint. */
export const oauthErrorBody = z.looseObject({ error: z.string(), error_description: z.string().optional() });

/**
 * API error bodies. The document declares none; observed are `{"int_err_code":"InvalidToken",
 * "msg":"Invalid token passed"}` on a bad or expired token (403) and `{"errorCode","message"}`.
 */
export const gotoErrorBody = z.looseObject({
  int_err_code: z.string().optional(),
  msg: z.string().optional(),
  errorCode: z.string().optional(),
  message: z.string().optional(),
  description: z.string().optional(),
});
export type GotoErrorBody = z.infer<typeof gotoErrorBody>;

/** POST /organizers/{organizerKey}/webinars — createWebinar, 201 CreatedWebinar. */
export const gotoCreatedWebinar = z.looseObject({ webinarKey: gotoKey, recurrenceKey: gotoKey.optional() });

/** POST …/webinars/{webinarKey}/registrants — createRegistrant, 201 RegistrantCreated. */
export const gotoRegistrantCreated = z.looseObject({ registrantKey: gotoKey, joinUrl: z.string().min(1) });

/** Registrant (RegistrantArray / RegistrantPaginatedResponse items). */
export const gotoRegistrant = z.looseObject({
  registrantKey: gotoKey,
  email: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  status: z.string().optional(),
  joinUrl: z.string().optional(),
});

/** GET …/registrants?page&limit — getAllRegistrantsForWebinar, 200 RegistrantPaginatedResponse. */
export const gotoRegistrantPage = z.looseObject({
  data: z.array(gotoRegistrant),
  total: z.number().int().nonnegative(),
  page: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
});

/** The HAL `page` object of the reporting lists. */
const halPage = z.looseObject({
  size: z.number().int().nonnegative(),
  totalElements: z.number().int().nonnegative(),
  totalPages: z.number().int().nonnegative(),
  number: z.number().int().nonnegative(),
});

/**
 * GET /organizers/{organizerKey}/webinars — getWebinars, 200 ReportingWebinarsResponse: the
 * credential probe, and the lookup by our reference (the description's last line).
 */
export const gotoWebinarList = z.looseObject({
  _embedded: z
    .looseObject({
      webinars: z.array(z.looseObject({ webinarKey: gotoKey, description: z.string().optional() })),
    })
    .optional(),
  page: halPage,
});

/**
 * GET …/webinars/{webinarKey}/sessions — getAllSessions, 200 ReportingSessionsResponse.
 * `_embedded` is required by the document; an empty answer without it is read as no sessions.
 */
export const gotoSessionPage = z.looseObject({
  _embedded: z
    .looseObject({ sessionInfoResources: z.array(z.looseObject({ sessionKey: gotoKey })) })
    .optional(),
  page: halPage,
});

/** GET …/sessions/{sessionKey}/attendees — getAttendees, 200 array of Attendee. */
export const gotoAttendees = z.array(
  z.looseObject({
    registrantKey: gotoKey,
    email: z.string(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    attendanceTimeInSeconds: z.number().nonnegative(),
    sessionKey: gotoKey.optional(),
    attendance: z.array(z.looseObject({ joinTime: dateTime, leaveTime: dateTime })).default([]),
  }),
);
export type GotoAttendee = z.infer<typeof gotoAttendees>[number];

/**
 * GoTo's webinar types (WebinarReqCreate.type). `series` is not offered: it needs two or more
 * meeting times and gives each its own webinarKey, while an Auditorium webinar is one time slot
 * with one provider id (Auditorium sessions already become one webinar each).
 */
export const GOTO_WEBINAR_TYPES = [
  { id: "single_session", label: "Single session" },
  { id: "sequence", label: "Sequence (the same attendees for every meeting time)" },
] as const;

/**
 * GET /webinars/{webinarKey}/recordingAssets — RecordingAssetsResponse: the webinar's online
 * recordings (one per session), `recordingShareUrl` included by default on this route.
 */
export const gotoRecordingAssets = z.looseObject({
  data: z.array(
    z.looseObject({
      recordingAssetKey: z.string(),
      createTime: z.string().optional(),
      mp4DownloadUrl: z.string().optional(),
      recordingShareUrl: z.string().min(1).optional(),
    }),
  ),
  total: z.number().int().optional(),
});
export type GotoRecordingAssets = z.infer<typeof gotoRecordingAssets>;
