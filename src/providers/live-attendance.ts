import type { AttendanceRecord } from "./contract.ts";

/** Seconds → whole minutes as the rest of Auditorium counts them: rounded, but any attendance is at least 1. */
export function attendedMinutes(seconds: number): number {
  if (seconds <= 0) return 0;
  return Math.max(1, Math.round(seconds / 60));
}

/** What a live attendance report tells of one person, summed over their rows. */
export interface LiveAttendance {
  providerRegistrantId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  seconds: number;
  firstActivityAt: Date | null;
  lastActivityAt: Date | null;
}

/**
 * One person's record from a provider whose reports tell only live attendance (Zoom, Teams,
 * GoTo): who, the summed seconds and the first and last activity. Those reports carry no
 * company, job title, on-demand viewing, engagement or interactions, so these stay empty.
 */
export function liveAttendanceRecord(p: LiveAttendance): AttendanceRecord {
  return {
    providerRegistrantId: p.providerRegistrantId,
    email: p.email,
    firstName: p.firstName,
    lastName: p.lastName,
    company: null,
    jobTitle: null,
    liveMinutes: attendedMinutes(p.seconds),
    onDemandMinutes: 0,
    engagementScore: null,
    questionsAsked: 0,
    pollsAnswered: 0,
    resourcesDownloaded: 0,
    firstActivityAt: p.firstActivityAt,
    lastActivityAt: p.lastActivityAt,
  };
}
