/**
 * Pure value mappings between our contract and Microsoft Graph virtual events: ids and paths,
 * webinar bodies, attendance summed per person.
 */
import { createHash } from "node:crypto";
import type { AttendanceRecord, WebinarSpec } from "../contract.ts";
import { ProviderError } from "../contract.ts";
import { type LiveAttendance, liveAttendanceRecord } from "../live-attendance.ts";
import type { GraphAttendanceRecord } from "./schemas.ts";

/** Our two webinar types; town halls live in their own Graph collection. */
export const TEAMS_WEBINAR_TYPES = [
  { id: "webinar", label: "Webinar (with registration)" },
  { id: "townhall", label: "Town hall (no registration: people join with the link)" },
] as const;

/**
 * Town hall ids get a prefix in our `providerWebinarId` so every later call knows which Graph
 * collection to use; webinar ids are Graph's own (`{guid}@{tenantGuid}`).
 */
const TOWNHALL_PREFIX = "townhall:";

export interface EventRef {
  collection: "webinars" | "townhalls";
  graphId: string;
}

export function eventRef(providerWebinarId: string): EventRef {
  const townhall = providerWebinarId.startsWith(TOWNHALL_PREFIX);
  const graphId = townhall ? providerWebinarId.slice(TOWNHALL_PREFIX.length) : providerWebinarId;
  // Graph ids are GUID@GUID; anything else would be a path injection or a mix-up of providers.
  if (!/^[0-9A-Za-z._@-]{1,200}$/.test(graphId)) {
    throw new ProviderError("invalid", "Teams webinar id has an unexpected format");
  }
  return { collection: townhall ? "townhalls" : "webinars", graphId };
}

export function providerWebinarIdOf(collection: EventRef["collection"], graphId: string): string {
  return collection === "townhalls" ? `${TOWNHALL_PREFIX}${graphId}` : graphId;
}

/** `/solutions/virtualEvents/webinars/{id}` (the `@` in Graph ids stays as is, as in Graph's docs). */
export function eventPath(ref: EventRef): string {
  return `/solutions/virtualEvents/${ref.collection}/${encodeURIComponent(ref.graphId).replaceAll("%40", "@")}`;
}

/** dateTimeTimeZone in UTC: Graph takes Windows zone names, and "UTC" is one, so no zone table is needed. */
function utc(date: Date) {
  return { dateTime: date.toISOString().replace(/Z$/, ""), timeZone: "UTC" };
}

/** The writable part of a virtualEventWebinar / virtualEventTownhall (api/virtualeventsroot-post-webinars.md). */
export function eventBody(spec: WebinarSpec) {
  if (spec.endsAt.getTime() <= spec.startsAt.getTime()) {
    throw new ProviderError("invalid", "Teams webinar must end after it starts (endsAt)");
  }
  const title = spec.title.trim();
  if (title === "") throw new ProviderError("invalid", "Teams webinar needs a title");
  return {
    displayName: title,
    description: { contentType: "text", content: spec.description },
    startDateTime: utc(spec.startsAt),
    endDateTime: utc(spec.endsAt),
    audience: "everyone",
    // Our reference (virtualEventExternalInformation.externalEventId, at most 256 characters):
    // Graph returns it in the organizer's listing, so a create whose answer was lost is found.
    ...(spec.externalRef && { externalEventInformation: [{ externalEventId: spec.externalRef }] }),
  };
}

/** OData string literal: single quotes doubled (OData ABNF `SQUOTE-in-string`). */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A stable id for a walk-in Graph gives no registration id for; no e-mail is readable from it. */
function anonymousId(email: string): string {
  return `walkin-${createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 24)}`;
}

/**
 * Sums attendance records over every report and session per person. A person has one record per
 * report; several reports (sessions, a meeting restarted) must add up, so the sum is computed
 * here over everything rather than page by page. Records without an e-mail (anonymous phone
 * dial-ins) cannot be matched to anyone and are skipped; organizers and presenters are not audience.
 */
export function sumAttendance(records: GraphAttendanceRecord[]): AttendanceRecord[] {
  const people = new Map<string, LiveAttendance>();
  for (const r of records) {
    const email = r.emailAddress?.trim();
    if (!email) continue;
    if (r.role && /^(organizer|presenter|coorganizer)$/i.test(r.role)) continue;
    const key = email.toLowerCase();
    let seconds = r.totalAttendanceInSeconds ?? 0;
    if (r.totalAttendanceInSeconds == null) {
      for (const i of r.attendanceIntervals ?? []) seconds += i.durationInSeconds ?? 0;
    }
    let entry = people.get(key);
    if (!entry) {
      entry = {
        providerRegistrantId: r.registrationId ?? anonymousId(email),
        email,
        firstName: null,
        lastName: null,
        seconds: 0,
        firstActivityAt: null,
        lastActivityAt: null,
      };
      people.set(key, entry);
    }
    if (r.registrationId && entry.providerRegistrantId.startsWith("walkin-")) {
      entry.providerRegistrantId = r.registrationId;
    }
    entry.seconds += seconds;
    for (const i of r.attendanceIntervals ?? []) {
      const join = i.joinDateTime ? new Date(i.joinDateTime) : null;
      const leave = i.leaveDateTime ? new Date(i.leaveDateTime) : null;
      if (join && !Number.isNaN(join.getTime()) && (!entry.firstActivityAt || join < entry.firstActivityAt))
        entry.firstActivityAt = join;
      const last = leave && !Number.isNaN(leave.getTime()) ? leave : join;
      if (last && !Number.isNaN(last.getTime()) && (!entry.lastActivityAt || last > entry.lastActivityAt))
        entry.lastActivityAt = last;
    }
  }
  return [...people.values()].map(liveAttendanceRecord);
}

/** Statuses under which a person holds a place; canceled and rejected people do not. */
export const HOLDING = new Set(["registered", "waitlisted", "pendingApproval"]);

/** Town halls have no registrations in Graph: anything about a registration is refused for them. */
export function requireWebinar(ref: EventRef): void {
  if (ref.collection === "townhalls") {
    throw new ProviderError(
      "invalid",
      "Microsoft Teams town halls have no registrations in Graph; attendees join with the town hall link",
    );
  }
}
