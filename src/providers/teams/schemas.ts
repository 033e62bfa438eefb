/**
 * Zod schemas of the Microsoft Graph answers the Teams adapter reads. Shapes follow the Graph
 * resource types (node_modules/@microsoft/microsoft-graph-types) and the Graph docs cited per
 * schema (repo microsoftgraph/microsoft-graph-docs-contrib, `api-reference/v1.0/`). Objects are
 * loose: Graph adds properties over time, and we check only what we read. Graph ids are strings
 * (webinar ids look like `{guid}@{tenantGuid}`).
 */
import { z } from "zod";

/** Every Graph error: `{"error": {"code", "message", "innerError": {...}}}` (docs: errors). */
export const graphErrorBody = z.looseObject({
  error: z.looseObject({ code: z.string(), message: z.string().optional() }),
});

/**
 * Microsoft identity platform token endpoint, client-credentials grant
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
 * Success: `{token_type, expires_in, access_token}`; failure: `{error, error_description, error_codes}`.
 */
export const tokenResponse = z.looseObject({
  token_type: z.string(),
  expires_in: z.coerce.number().int().positive(),
  access_token: z.string().min(1),
});
export const tokenErrorBody = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
  error_codes: z.array(z.number()).optional(),
});

/** dateTimeTimeZone (resources/datetimetimezone.md). */
const dateTimeTimeZone = z.looseObject({ dateTime: z.string(), timeZone: z.string().optional() });

/**
 * virtualEventWebinar / virtualEventTownhall (resources/virtualeventwebinar.md): create answers
 * 201 with the object, `status: "draft"` (api/virtualeventsroot-post-webinars.md).
 */
export const virtualEvent = z.looseObject({
  id: z.string().min(1),
  status: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  startDateTime: dateTimeTimeZone.nullable().optional(),
  endDateTime: dateTimeTimeZone.nullable().optional(),
  /** virtualEventExternalInformation: our reference, set at creation (returned to organizers). */
  externalEventInformation: z
    .array(z.looseObject({ externalEventId: z.string().nullable().optional() }))
    .nullable()
    .optional(),
});
export type GraphVirtualEvent = z.infer<typeof virtualEvent>;

/** virtualEventSession (resources/virtualeventsession.md): `joinWebUrl` is shared by everyone. */
export const virtualEventSession = z.looseObject({
  id: z.string().min(1),
  joinWebUrl: z.string().nullable().optional(),
  /** The published recording ("video on demand") of a webinar or town hall, once there is one. */
  videoOnDemandWebUrl: z.string().nullable().optional(),
});

/**
 * virtualEventRegistration (resources/virtualeventregistration.md). `status` is one of
 * registered, canceled, waitlisted, pendingApproval, rejectedByOrganizer, unknownFutureValue.
 */
export const virtualEventRegistration = z.looseObject({
  id: z.string().min(1),
  email: z.string().nullable().optional(),
  firstName: z.string().nullable().optional(),
  lastName: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
});
export type GraphRegistration = z.infer<typeof virtualEventRegistration>;

/** attendanceInterval (resources/attendanceinterval.md). */
const attendanceInterval = z.looseObject({
  joinDateTime: z.string().nullable().optional(),
  leaveDateTime: z.string().nullable().optional(),
  durationInSeconds: z.number().nullable().optional(),
});

/** attendanceRecord (resources/attendancerecord.md). */
export const attendanceRecord = z.looseObject({
  id: z.string().optional(),
  emailAddress: z.string().nullable().optional(),
  registrationId: z.string().nullable().optional(),
  role: z.string().nullable().optional(),
  totalAttendanceInSeconds: z.number().nonnegative().nullable().optional(),
  attendanceIntervals: z.array(attendanceInterval).nullable().optional(),
  identity: z
    .looseObject({ id: z.string().nullable().optional(), displayName: z.string().nullable().optional() })
    .nullable()
    .optional(),
});
export type GraphAttendanceRecord = z.infer<typeof attendanceRecord>;

/** meetingAttendanceReport (resources/meetingattendancereport.md). */
export const attendanceReport = z.looseObject({ id: z.string().min(1) });

/** Any OData collection page: `{value: [...], "@odata.nextLink"?}`. */
export function collection<T extends z.ZodType>(item: T) {
  return z.looseObject({
    value: z.array(item),
    "@odata.nextLink": z.string().optional(),
  });
}

/** subscription (resources/subscription.md): create and update answer the object. */
export const subscription = z.looseObject({
  id: z.string().min(1),
  expirationDateTime: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
});

/**
 * changeNotificationCollection as POSTed to the notification URL
 * (concepts/changenotifications-for-virtualevent.md): ids only, never resource data.
 */
export const changeNotificationCollection = z.looseObject({
  value: z.array(
    z.looseObject({
      subscriptionId: z.string().optional(),
      clientState: z.string().nullable().optional(),
      changeType: z.string().optional(),
      resource: z.string().optional(),
      lifecycleEvent: z.string().nullable().optional(),
      resourceData: z
        .looseObject({ id: z.string().optional(), "@odata.id": z.string().optional() })
        .nullable()
        .optional(),
    }),
  ),
});
export type GraphChangeNotification = z.infer<typeof changeNotificationCollection>["value"][number];
