/**
 * Zod schemas of the Zoom answers the adapter reads. Field names follow Zoom's official SDK
 * types (zoom/rivet-javascript `meetings/meetings.d.ts`, the `Webinars*` and `Reports*` types)
 * and https://developers.zoom.us/docs/api/meetings/ (Webinars, Reports). Objects are loose: Zoom
 * adds fields per plan, and only the ones we use are checked. Ids leave as strings.
 */
import { z } from "zod";

/** Zoom ids: webinar ids are JSON numbers (11 digits, below 2^53), registrant ids are strings. */
export const zoomId = z
  .union([z.number().int().nonnegative(), z.string().regex(/^[\w.=-]+$/)])
  .transform((v) => String(v));

/** Every API error: `{"code": <int>, "message": "..."}` with the HTTP status (e.g. 401 code 124). */
export const zoomErrorBody = z.looseObject({ code: z.number().int().optional(), message: z.string() });

/** Token endpoint errors (RFC 6749 style, Zoom adds `reason`): `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`. */
export const zoomOAuthErrorBody = z.looseObject({
  error: z.string().optional(),
  reason: z.string().optional(),
});

/**
 * POST https://zoom.us/oauth/token?grant_type=account_credentials&account_id=… (Server-to-Server
 * OAuth): `{access_token, token_type: "bearer", expires_in: 3599, scope, api_url}`.
 */
export const zoomAccessToken = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});

/** POST /users/{userId}/webinars — WebinarsCreateWebinarResponse (201). */
export const zoomCreatedWebinar = z.looseObject({
  id: zoomId,
  join_url: z.string().min(1).optional(),
});

/** POST /webinars/{webinarId}/registrants — WebinarsAddWebinarRegistrantResponse (201). */
export const zoomAddedRegistrant = z.looseObject({
  registrant_id: zoomId,
  join_url: z.string().min(1).optional(),
});

/** POST /webinars/{webinarId}/batch_registrants — WebinarsPerformBatchRegistrationResponse. */
export const zoomBatchRegistrants = z.looseObject({
  registrants: z
    .array(
      z.looseObject({
        email: z.string().optional(),
        join_url: z.string().optional(),
        registrant_id: zoomId.optional(),
      }),
    )
    .optional(),
});

/** Paging fields of every list: `page_size` ≤ 300 and `next_page_token` (valid 15 minutes). */
const page = {
  next_page_token: z.string().optional(),
  page_size: z.number().int().optional(),
  total_records: z.number().int().optional(),
};

/**
 * GET /users/{userId}/webinars — WebinarsListWebinarsResponse: the host's scheduled webinars
 * with `agenda`, which carries our reference (docs/webinars.md).
 */
export const zoomWebinarList = z.looseObject({
  ...page,
  webinars: z
    .array(
      z.looseObject({
        id: zoomId,
        agenda: z.string().optional(),
        join_url: z.string().min(1).optional(),
      }),
    )
    .optional(),
});

/** GET /webinars/{webinarId}/registrants — WebinarsListWebinarRegistrantsResponse. */
export const zoomRegistrantList = z.looseObject({
  ...page,
  registrants: z
    .array(
      z.looseObject({
        id: zoomId,
        email: z.string(),
        first_name: z.string().optional(),
        last_name: z.string().optional(),
        status: z.string().optional(),
        join_url: z.string().optional(),
      }),
    )
    .optional(),
});

/**
 * GET /report/webinars/{webinarId}/participants — ReportsGetWebinarParticipantReportsResponse:
 * one row per join segment (a person who rejoins has several rows), `duration` in seconds.
 */
export const zoomParticipantReport = z.looseObject({
  ...page,
  participants: z
    .array(
      z.looseObject({
        id: z.string().optional(),
        user_id: z.string().optional(),
        registrant_id: z.string().optional(),
        name: z.string().optional(),
        user_email: z.string().optional(),
        join_time: z.iso.datetime({ offset: true }).optional(),
        leave_time: z.iso.datetime({ offset: true }).optional(),
        duration: z.number().nonnegative().optional(),
      }),
    )
    .optional(),
});
export type ZoomParticipant = NonNullable<z.infer<typeof zoomParticipantReport>["participants"]>[number];

/**
 * GET /meetings/{meetingId}/recordings — CloudRecordingGetMeetingRecordingsResponse (a
 * webinar's id is its meeting id here), plus `share_url`, which Zoom's reference documents and
 * rivet's type leaves out. We read the share link, the MP4's play link and the passcode.
 */
export const zoomRecordings = z.looseObject({
  share_url: z.string().min(1).optional(),
  recording_play_passcode: z.string().optional(),
  auto_delete_date: z.string().optional(),
  recording_files: z
    .array(
      z.looseObject({
        file_type: z.string().optional(),
        play_url: z.string().optional(),
        status: z.string().optional(),
        deleted_time: z.string().optional(),
      }),
    )
    .optional(),
});
export type ZoomRecordings = z.infer<typeof zoomRecordings>;

/** Any JSON object (for answers we only need to be well-formed, e.g. GET /users/me). */
export const zoomAnyObject = z.looseObject({});

/**
 * Webinar types (`type` of WebinarsCreateWebinarRequestBody): 5 webinar, 6 recurring webinar with
 * no fixed time, 9 recurring webinar with a fixed time.
 */
export const ZOOM_WEBINAR_TYPES = [
  { id: "5", label: "Webinar" },
  { id: "6", label: "Recurring webinar, no fixed time" },
  { id: "9", label: "Recurring webinar, fixed time" },
] as const;
