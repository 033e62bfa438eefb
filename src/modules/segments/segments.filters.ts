import { type Expression, type SqlBool, sql } from "kysely";
import { z } from "zod";
import { unprocessable } from "../../lib/errors.ts";
import { isUuid } from "../../lib/ids.ts";
import { attendedSql } from "../registrations/results.ts";

/**
 * The filters of a segment (issue 16, "Segments"), as the query string gives them. The
 * schema only lists and caps them (an unknown parameter is refused, 400, as everywhere); their
 * values are checked by `parseFilters`, which answers 422 naming the parameter, so a client
 * can tell a filter it got wrong from a request it formed wrong.
 */
const param = z.string().max(500).optional();
export const segmentQuery = z.strictObject({
  attended: param.describe(
    "true: attended (watched at least a minute, or checked in on site); false: no-show",
  ),
  minMinutes: param.describe("live + on-demand minutes at least N (summed over the registration's webinars)"),
  minEngagement: param.describe("best engagement score of the registration's webinars at least N"),
  eventId: param.describe("one event"),
  from: param.describe("events starting at or after this instant or date (YYYY-MM-DD, UTC)"),
  to: param.describe("events starting before this instant, or on or before this date (YYYY-MM-DD, UTC)"),
  status: param.describe("registration status; default registered; any for all"),
  source: param.describe("api, public, import or provider"),
  utmSource: param.describe('campaign source; "direct" also matches registrations without one'),
  utmMedium: param,
  utmCampaign: param,
  limit: param.describe("rows per page, 1–500 (default 100)"),
  cursor: z.string().max(200).optional(),
  format: param.describe("csv for the whole segment as CSV (or send Accept: text/csv)"),
});
export type SegmentQuery = z.infer<typeof segmentQuery>;

const STATUSES = ["registered", "waitlisted", "cancelled", "pending_confirmation"] as const;
const SOURCES = ["api", "public", "import", "provider"] as const;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface SegmentFilters {
  attended?: boolean;
  minMinutes?: number;
  minEngagement?: number;
  eventId?: string;
  from?: Date;
  to?: Date;
  status: (typeof STATUSES)[number] | "any";
  source?: (typeof SOURCES)[number];
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  limit: number;
  cursor?: string;
  csv: boolean;
}

const bad = (field: string, message: string) =>
  unprocessable("invalid_filter", `${field}: ${message}`, field);

function wholeNumber(value: string, field: string, max: number) {
  if (!/^\d{1,9}$/.test(value) || Number(value) > max)
    throw bad(field, `must be a whole number from 0 to ${max}`);
  return Number(value);
}

function instant(value: string, field: string, endOfDay: boolean) {
  if (DATE_RE.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value)
      throw bad(field, "is not a date");
    // A date as `to` includes that whole day.
    return endOfDay ? new Date(d.getTime() + 86_400_000) : d;
  }
  const d = new Date(value);
  if (!INSTANT_RE.test(value) || Number.isNaN(d.getTime()))
    throw bad(field, "must be a date (YYYY-MM-DD) or an instant with its offset");
  return d;
}

function oneOf<T extends string>(value: string, field: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw bad(field, `must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** Checks every filter; the first bad one answers 422 naming it. */
export function parseFilters(q: SegmentQuery, acceptsCsv: boolean): SegmentFilters {
  const f: SegmentFilters = { status: "registered", limit: 100, csv: acceptsCsv };
  if (q.attended !== undefined) f.attended = oneOf(q.attended, "attended", ["true", "false"]) === "true";
  if (q.minMinutes !== undefined) f.minMinutes = wholeNumber(q.minMinutes, "minMinutes", 1_000_000);
  if (q.minEngagement !== undefined) {
    const n = Number(q.minEngagement);
    if (!/^\d{1,6}(\.\d{1,4})?$/.test(q.minEngagement) || !Number.isFinite(n))
      throw bad("minEngagement", "must be a number of at least 0");
    f.minEngagement = n;
  }
  if (q.eventId !== undefined) {
    if (!isUuid(q.eventId)) throw bad("eventId", "must be a UUID");
    f.eventId = q.eventId;
  }
  if (q.from !== undefined) f.from = instant(q.from, "from", false);
  if (q.to !== undefined) f.to = instant(q.to, "to", true);
  if (f.from && f.to && f.from >= f.to) throw bad("to", "must be after from");
  if (q.status !== undefined) f.status = oneOf(q.status, "status", [...STATUSES, "any"] as const);
  if (q.source !== undefined) f.source = oneOf(q.source, "source", SOURCES);
  for (const key of ["utmSource", "utmMedium", "utmCampaign"] as const) {
    const v = q[key];
    if (v === undefined) continue;
    if (v.trim() === "" || v.length > 200) throw bad(key, "must be 1 to 200 characters");
    f[key] = v;
  }
  if (q.limit !== undefined) {
    f.limit = wholeNumber(q.limit, "limit", 500);
    if (f.limit < 1) throw bad("limit", "must be from 1 to 500");
  }
  if (q.cursor !== undefined) f.cursor = q.cursor;
  if (q.format !== undefined) f.csv = oneOf(q.format, "format", ["json", "csv"]) === "csv";
  return f;
}

/**
 * The WHERE over `registrations r` joined with `events e`, for one organization. Minutes use
 * the attendance sum kept on the registration (migration 0060), engagement the attendance
 * rows themselves (their primary key leads with the registration id).
 */
export function segmentWhere(organizationId: string, f: SegmentFilters): Expression<SqlBool>[] {
  const w: Expression<SqlBool>[] = [sql<SqlBool>`r.organization_id = ${organizationId}`];
  if (f.status !== "any") w.push(sql<SqlBool>`r.status = ${f.status}`);
  if (f.attended === true) w.push(attendedSql("r"));
  if (f.attended === false) w.push(sql<SqlBool>`not ${attendedSql("r")}`);
  if (f.minMinutes !== undefined) w.push(sql<SqlBool>`r.attended_minutes >= ${f.minMinutes}`);
  if (f.minEngagement !== undefined)
    w.push(sql<SqlBool>`exists (select 1 from attendance a
      where a.registration_id = r.id and a.engagement_score >= ${f.minEngagement})`);
  if (f.eventId !== undefined) w.push(sql<SqlBool>`r.event_id = ${f.eventId}`);
  if (f.from !== undefined) w.push(sql<SqlBool>`e.starts_at >= ${f.from}`);
  if (f.to !== undefined) w.push(sql<SqlBool>`e.starts_at < ${f.to}`);
  if (f.source !== undefined) w.push(sql<SqlBool>`r.source = ${f.source}`);
  if (f.utmSource === "direct") w.push(sql<SqlBool>`(r.utm_source is null or r.utm_source = 'direct')`);
  else if (f.utmSource !== undefined) w.push(sql<SqlBool>`r.utm_source = ${f.utmSource}`);
  if (f.utmMedium !== undefined) w.push(sql<SqlBool>`r.utm_medium = ${f.utmMedium}`);
  if (f.utmCampaign !== undefined) w.push(sql<SqlBool>`r.utm_campaign = ${f.utmCampaign}`);
  return w;
}
