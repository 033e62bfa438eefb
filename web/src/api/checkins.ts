import { call } from "./client.ts";
import type { Page, Registration } from "./types.ts";

export interface CheckIn {
  id: string;
  eventId: string;
  registrationId: string;
  sessionId: string | null;
  kind: "onsite" | "webinar";
  checkedInAt: string;
  contact: { id: string; firstName: string; lastName: string };
}

const v1 = "/api/v1";
const id = encodeURIComponent;

/** The check-in desk's calls: all public REST API (docs/checkins-and-imports.md). */
export const checkInApi = {
  /**
   * The check-ins of the given registrations (the people the desk shows), whatever their age:
   * a page of the newest would miss those who came early once more than a page came.
   */
  checkInsOf: (eventId: string, registrationIds: string[]) =>
    call<Page<CheckIn>>("GET", `${v1}/events/${id(eventId)}/check-ins`, undefined, {
      registrationIds: registrationIds.join(","),
      limit: 500,
    }),
  checkIn: (eventId: string, registrationId: string) =>
    call<CheckIn>("POST", `${v1}/events/${id(eventId)}/check-ins`, { registrationId }),
  checkOut: (checkInId: string) => call("DELETE", `${v1}/check-ins/${id(checkInId)}`),
  /** The QR code carries the registration id: 404 when it is another organization's. */
  registration: (registrationId: string) =>
    call<Registration>("GET", `${v1}/registrations/${id(registrationId)}`),
  search: (eventId: string, q: string) =>
    call<Page<Registration> & { total?: number }>(
      "GET",
      `${v1}/events/${id(eventId)}/registrations`,
      undefined,
      {
        q,
        limit: 20,
      },
    ),
  /** The door's counts, counted by the server: exact however many came. */
  counts: (eventId: string) =>
    call<{ checkedIn: number; registered: number }>("GET", `${v1}/events/${id(eventId)}/check-ins/counts`),
  walkIn: (eventId: string, contact: { firstName: string; lastName: string; email: string }) =>
    call<Registration>("POST", `${v1}/events/${id(eventId)}/registrations`, { contact }),
};
