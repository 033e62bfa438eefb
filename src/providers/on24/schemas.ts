/**
 * Zod schemas of the ON24 REST API v2 answers the adapter reads. ON24's OpenAPI document declares
 * no response schemas, only examples, so each schema follows the 200 example of the cited
 * operation (https://api.on24.com/v2/openapi.json, copied in specs/on24/openapi.json).
 *
 * Every object is loose (unknown fields pass through untouched: ON24 adds fields per account tier
 * and content type) but the fields we use are checked. Ids arrive as JSON numbers and leave as
 * strings.
 */
import { z } from "zod";

/** ON24 ids: JSON numbers (sometimes numeric strings, e.g. `ctaid`), always returned as strings. */
export const on24Id = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
  .transform((v) => String(v));

/** Analytics timestamps: ISO 8601 with offset, Pacific time ("2015-05-19T11:01:42-07:00"). */
const on24Timestamp = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

const count = z.number().int().nonnegative();
const minutes = z.number().nonnegative();

/**
 * Error envelope of every operation: plain `{"message": "..."}`, no codes.
 * errors.yml (derived from the 4xx/5xx descriptions of all 67 operations).
 */
export const on24ErrorBody = z.looseObject({ message: z.string() });

/**
 * POST /client/{clientId}/event — EventManagement.CreateAWebinar, 200 "Event Created."
 * `{"wccevent": {eventId, audienceUrl, liveStart, …}}`.
 */
export const on24CreatedEvent = z.looseObject({
  wccevent: z.looseObject({
    eventId: on24Id,
    audienceUrl: z.string().min(1),
  }),
});
export type On24CreatedEvent = z.infer<typeof on24CreatedEvent>;

/**
 * PUT /client/{clientId}/event/{eventId} — EventManagement.UpdateAWebinar, 200 `{"wccevent": …}`.
 * We read nothing from it except that it is the documented envelope.
 */
export const on24UpdatedEvent = z.looseObject({
  wccevent: z.looseObject({ eventId: on24Id }),
});

/**
 * DELETE /client/{clientId}/event/{eventId} — EventManagement.DeleteWebinar,
 * 200 `{"message": "Event Successfully Deleted."}`.
 */
export const on24DeletedEvent = z.looseObject({ message: z.string().optional() });

/**
 * GET /client/{clientId}/event/{eventId} — AnalyticsEventLevel.MetadataAndUsage, 200 "Return
 * information for an event". `audienceurl` is absent for some content types (video, pdf, webpage).
 */
export const on24EventMetadata = z.looseObject({
  eventid: on24Id,
  audienceurl: z.string().min(1).optional(),
  isactive: z.boolean().optional(),
  /** The on-demand (archive) window, ISO 8601 with offset (the examples' "archivestart"). */
  archivestart: z.string().optional(),
  archiveend: z.string().optional(),
  /** The recording as one MP4, once ON24 processed the archive (the webcast example). */
  singlefilearchive: z.string().min(1).optional(),
});
export type On24EventMetadata = z.infer<typeof on24EventMetadata>;

/**
 * GET /client/{clientId}/event — AnalyticsClientLevel.Events, 200 "Return list of events.":
 * `{totalevents, events: [{eventid, campaigncode, audienceurl, isactive, …}]}`. The events carry
 * the analytics fields of the single-event answer; we read the id, our reference (the campaign
 * code) and the audience URL.
 */
export const on24EventList = z.looseObject({
  totalevents: count.optional(),
  events: z
    .array(
      z.looseObject({
        eventid: on24Id,
        campaigncode: z.string().optional(),
        audienceurl: z.string().min(1).optional(),
        isactive: z.boolean().optional(),
      }),
    )
    .default([]),
});

/**
 * POST /client/{clientId}/event/{eventId}/registrant — Registration.RESTRegistrationAPI,
 * 200 "Registrant Created.": the echoed form fields plus `eventid`, `eventuserid`, `userprofileurl`.
 */
export const on24RegistrantWrite = z.looseObject({
  eventuserid: on24Id,
  eventid: on24Id.optional(),
  email: z.string().optional(),
});

/**
 * One registrant record as in GET /client/{clientId}/registrant/{email}
 * (AnalyticsClientLevel.RegistrantByEmail) and GET /client/{clientId}/event/{eventId}/registrant
 * (AnalyticsEventLevel.Registrants). Empty registration fields are omitted by ON24.
 */
export const on24RegistrantRecord = z.looseObject({
  eventuserid: on24Id,
  eventid: on24Id.optional(),
  email: z.string(),
  firstname: z.string().optional(),
  lastname: z.string().optional(),
  company: z.string().optional(),
  jobtitle: z.string().optional(),
  userstatus: z.string().optional(),
});
export type On24RegistrantRecord = z.infer<typeof on24RegistrantRecord>;

/** GET /client/{clientId}/registrant/{email} — AnalyticsClientLevel.RegistrantByEmail, 200 `{"registrant": …}`. */
export const on24RegistrantByEmail = z.looseObject({ registrant: on24RegistrantRecord });

/**
 * GET /client/{clientId}/event/{eventId}/registrant — AnalyticsEventLevel.Registrants,
 * 200 `{eventid, totalregistrants, registrants: […]}` (no paging parameters documented).
 */
export const on24EventRegistrants = z.looseObject({
  totalregistrants: count.optional(),
  registrants: z.array(on24RegistrantRecord),
});

/**
 * GET /client/{clientId}/registrant — AnalyticsClientLevel.Registrants (paged, 100 per page).
 * Used only as the authenticated probe of checkCredentials; nothing in it is read.
 */
export const on24ClientRegistrantsProbe = z.looseObject({});

/**
 * One element of `attendees` in GET /client/{clientId}/event/{eventId}/attendee —
 * AnalyticsEventLevel.Attendees, 200 "Return list of attendees for an event". Minutes are rounded
 * by ON24 (0 < x < 1 → 1); `engagementscore` is a float cached 3–24 h; activity times are Pacific
 * with offset. The examples of some content types (golive, VE) omit archive or live fields, hence
 * the optional counters. Names are not part of the documented record; when present we use them.
 */
export const on24Attendee = z.looseObject({
  eventuserid: on24Id,
  email: z.string(),
  firstname: z.string().optional(),
  lastname: z.string().optional(),
  company: z.string().optional(),
  jobtitle: z.string().optional(),
  engagementscore: z.number().nonnegative().nullable().optional(),
  liveminutes: minutes.optional(),
  archiveminutes: minutes.optional(),
  askedquestions: count.optional(),
  answeredpolls: count.optional(),
  resourcesdownloaded: count.optional(),
  firstliveactivity: on24Timestamp.optional(),
  lastliveactivity: on24Timestamp.optional(),
  firstarchiveactivity: on24Timestamp.optional(),
  lastarchiveactivity: on24Timestamp.optional(),
});
export type On24Attendee = z.infer<typeof on24Attendee>;

/**
 * GET /client/{clientId}/event/{eventId}/attendee — AnalyticsEventLevel.Attendees. The example is
 * `{eventid, totalattendees, attendees}`; when ON24 pages (pageoffset/itemsperpage, as on the
 * client-level lists) it adds `pagecount` and `currentpage` (0-based), which we honour if present.
 */
export const on24AttendeeList = z.looseObject({
  totalattendees: count.optional(),
  pagecount: count.optional(),
  currentpage: count.optional(),
  attendees: z.array(on24Attendee),
});
export type On24AttendeeList = z.infer<typeof on24AttendeeList>;

/**
 * GET /client/{clientId}/event/{eventId}/regfield — Helpers.RetrieveRegistrationFields,
 * 200 `{"registrationfields": [{fieldid, fieldcaption, fieldtype, validationtype, required, options?}]}`.
 * `fieldid` uses underscores where the registration form name does not (job_title ↔ jobTitle).
 */
export const on24RegistrationFields = z.looseObject({
  registrationfields: z.array(
    z.looseObject({
      fieldid: z.string().min(1),
      fieldtype: z.string().optional(),
      required: z.enum(["Y", "N"]),
      options: z.array(z.string()).optional(),
    }),
  ),
});
export type On24RegistrationField = z.infer<typeof on24RegistrationFields>["registrationfields"][number];

/**
 * POST /client/{clientId}/forget — Registration.ForgetRegistrantClientlevel,
 * 200 `{"deletedregistrants": {"eventuserids": [...]}}`.
 */
export const on24Forgotten = z.looseObject({
  deletedregistrants: z.looseObject({ eventuserids: z.array(on24Id) }),
});

/**
 * ON24 event types. The OpenAPI has no enum for `eventType`; the list is the 200 example of
 * GET /client/{clientId}/eventtypes (Helpers.RetrieveEventTypes), restricted to the webinar kinds
 * (the rest are Engagement Hub / Go Live / content types that are not scheduled webinars).
 */
export const ON24_WEBINAR_TYPES = [
  { id: "fav", label: "Live Video and Audio" },
  { id: "simulive", label: "Simu-live" },
  { id: "sim2live", label: "Sim-2-live" },
  { id: "encodeonsite", label: "Broadcast Video" },
  { id: "ondemand", label: "On Demand" },
] as const;
