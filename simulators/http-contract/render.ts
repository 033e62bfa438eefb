// What the reference implementation answers: the contract's error body, its resources as JSON,
// and opaque cursors (base64url of the last position served).
import type { Attendee, Registration, Webinar } from "./state.ts";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
  body() {
    return {
      error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) },
    };
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

export function webinarOut(w: Webinar) {
  return {
    id: w.id,
    title: w.title,
    description: w.description,
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    timeZone: w.timeZone,
    language: w.language,
    type: w.type,
    externalRef: w.externalRef,
    joinUrl: w.joinUrl,
    status: w.status,
    // The contract's optional on-demand link: offered once the webinar has ended.
    ...(w.status === "ended" && {
      recording: {
        url: `${w.joinUrl.replace(/\/join\//, "/watch/")}`,
        kind: "on_demand",
        availableUntil: new Date(Date.parse(w.endsAt) + 365 * 86_400_000).toISOString(),
      },
    }),
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

export function registrationOut(r: Registration) {
  return {
    id: r.id,
    webinarId: r.webinarId,
    email: r.email,
    firstName: r.firstName,
    lastName: r.lastName,
    company: r.company,
    jobTitle: r.jobTitle,
    status: r.status,
    joinUrl: r.joinUrl,
    createdAt: r.createdAt,
    cancelledAt: r.cancelledAt,
  };
}

export function attendanceOut(a: Attendee) {
  return {
    attendeeId: a.attendeeId,
    registrationId: a.registrationId,
    email: a.email,
    firstName: a.firstName,
    lastName: a.lastName,
    company: a.company,
    jobTitle: a.jobTitle,
    liveSeconds: a.liveSeconds,
    onDemandSeconds: a.onDemandSeconds,
    intervals: a.intervals,
    engagement: a.engagement,
  };
}

export function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ after: seq })).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown };
    if (typeof v.after === "number" && Number.isInteger(v.after) && v.after >= 0) return v.after;
  } catch {
    // falls through to the 400 below
  }
  throw new ApiError(400, "invalid_request", "cursor is not one this service issued", "cursor");
}

/** One page of items ordered by `seq`, after the cursor's position. */
export function page<T extends { seq: number }>(items: T[], cursor: string | undefined, limit: number) {
  const after = decodeCursor(cursor);
  const sorted = items.filter((i) => i.seq > after).sort((a, b) => a.seq - b.seq);
  const data = sorted.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: sorted.length > limit && last ? encodeCursor(last.seq) : null };
}
