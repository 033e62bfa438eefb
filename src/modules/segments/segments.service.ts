import { Readable } from "node:stream";
import { type Expression, type SqlBool, sql } from "kysely";
import type { Db } from "../../db/database.ts";
import { decodeCursor, encodeCursor } from "../../lib/pagination.ts";
import { csvLines, guardCell } from "../imports/imports.csv.ts";
import {
  CAMPAIGN_COLUMNS,
  type Campaign,
  campaignSelection,
  toCampaignDto,
} from "../registrations/campaign.ts";
import {
  attendedSql,
  RESULT_COLUMNS,
  RESULT_SUM_COLUMNS,
  type ResultRow,
  type ResultSums,
  resultCells,
  resultSumCells,
  resultsLateral,
  toResultSumsDto,
  toResultsDto,
} from "../registrations/results.ts";
import { type SegmentFilters, segmentWhere } from "./segments.filters.ts";

/** Rows per query while streaming a segment's CSV: bounded memory for any segment. */
const CSV_CHUNK = 1_000;

/** The contact's own fields, in both segments' rows. */
interface ContactFields {
  email: string;
  first_name: string;
  last_name: string;
  company: string | null;
  job_title: string | null;
}

type RegistrationSegmentRow = ResultRow &
  Campaign &
  ContactFields & {
    id: string;
    event_id: string;
    event_title: string;
    event_starts_at: Date;
    contact_id: string;
    status: string;
    source: string;
    created_at: Date;
  };

/** A contact's sums over its matching registrations: the registrations' own sums, summed again. */
type ContactSegmentRow = ResultSums &
  ContactFields & {
    id: string;
    registrations: number;
    /** How many of them were attended (where a registration has a yes/no). */
    attended: number;
  };

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const and = (where: Expression<SqlBool>[]) => sql.join(where, sql` and `);

/** The CSV columns of the contact's fields, in the order contactCells gives them. */
const CONTACT_FIELD_COLUMNS = ["email", "first_name", "last_name", "company", "job_title"];

/** The contact's fields as CSV cells: typed by people, so guarded against formula injection. */
const contactCells = (c: ContactFields) =>
  [c.email, c.first_name, c.last_name, c.company, c.job_title].map(guardCell);

const toContactFieldsDto = (c: ContactFields) => ({
  email: c.email,
  firstName: c.first_name,
  lastName: c.last_name,
  company: c.company,
  jobTitle: c.job_title,
});

export const REGISTRATION_SEGMENT_COLUMNS = [
  "registration_id",
  "event_id",
  "event_title",
  "event_starts_at",
  "contact_id",
  ...CONTACT_FIELD_COLUMNS,
  "status",
  "source",
  "created_at",
  ...RESULT_COLUMNS,
  ...CAMPAIGN_COLUMNS,
];
export const CONTACT_SEGMENT_COLUMNS = [
  "contact_id",
  ...CONTACT_FIELD_COLUMNS,
  "registrations",
  "attended_registrations",
  ...RESULT_SUM_COLUMNS,
];

/**
 * Segments: registrations and contacts of one organization by their results, across events
 * (docs/webhooks-out.md, "Segments"). Both page by id with an opaque cursor, so paging while
 * rows are added neither skips nor repeats one; the CSV streams the same pages.
 */
export function createSegmentService(deps: { db: Db }) {
  const { db } = deps;

  /** Registrations matching the filters, after `afterId`, in id order. */
  async function registrationRows(
    organizationId: string,
    f: SegmentFilters,
    afterId: string | undefined,
    n: number,
  ) {
    const where = segmentWhere(organizationId, f);
    if (afterId !== undefined) where.push(sql<SqlBool>`r.id > ${afterId}`);
    const rows = await sql<RegistrationSegmentRow>`
      select r.id, r.event_id, e.title as event_title, e.starts_at as event_starts_at, r.contact_id,
        c.email, c.first_name, c.last_name, c.company, c.job_title, r.status, r.source, r.created_at,
        ${campaignSelection("r")}, res.*, ${attendedSql("r")} as attended
      from registrations r
        join events e on e.id = r.event_id
        join contacts c on c.id = r.contact_id
        cross join ${resultsLateral("r")}
      where ${and(where)}
      order by r.id limit ${n}`.execute(db);
    return rows.rows;
  }

  /**
   * Contacts with at least one matching registration, after `afterId`, in id order: first the
   * page's contact ids (an ordered read of the organization's registrations by contact,
   * index registrations_org_contact), then their sums over their matching registrations only.
   */
  async function contactRows(
    organizationId: string,
    f: SegmentFilters,
    afterId: string | undefined,
    n: number,
  ) {
    const where = segmentWhere(organizationId, f);
    const page = [...where];
    if (afterId !== undefined) page.push(sql<SqlBool>`r.contact_id > ${afterId}`);
    const rows = await sql<ContactSegmentRow>`
      with page as (
        select distinct r.contact_id from registrations r join events e on e.id = r.event_id
        where ${and(page)} order by r.contact_id limit ${n}),
      matched as (
        select r.contact_id, res.*, ${attendedSql("r")} as attended
        from registrations r join events e on e.id = r.event_id
          cross join ${resultsLateral("r")}
        where ${and(where)} and r.contact_id in (select contact_id from page))
      select c.id, c.email, c.first_name, c.last_name, c.company, c.job_title,
        count(*)::int as registrations,
        (count(*) filter (where m.attended))::int as attended,
        sum(m.live_minutes)::int as live_minutes,
        sum(m.on_demand_minutes)::int as on_demand_minutes,
        max(m.engagement_score) as engagement_score,
        sum(m.questions_asked)::int as questions_asked,
        sum(m.polls_answered)::int as polls_answered,
        min(m.first_join) as first_join,
        max(m.last_leave) as last_leave
      from matched m join contacts c on c.id = m.contact_id
      group by c.id order by c.id`.execute(db);
    return rows.rows;
  }

  async function total(organizationId: string, f: SegmentFilters, count: "r.id" | "distinct r.contact_id") {
    const row = await sql<{ n: number }>`
      select count(${sql.raw(count)})::int as n from registrations r join events e on e.id = r.event_id
      where ${and(segmentWhere(organizationId, f))}`.execute(db);
    return row.rows[0]?.n ?? 0;
  }

  /**
   * One JSON page of a segment: the rows after the cursor (one more than the limit, to tell
   * whether a next page exists) and the segment's total, read side by side.
   */
  async function jsonPage<T extends { id: string }, Dto>(
    f: SegmentFilters,
    fetch: (afterId: string | undefined, n: number) => Promise<T[]>,
    count: () => Promise<number>,
    toDto: (row: T) => Dto,
  ) {
    const after = decodeCursor(f.cursor);
    const [rows, n] = await Promise.all([fetch(after, f.limit + 1), count()]);
    const more = rows.length > f.limit;
    const data = more ? rows.slice(0, f.limit) : rows;
    const last = data.at(-1);
    return { data: data.map(toDto), nextCursor: more && last ? encodeCursor(last.id) : null, total: n };
  }

  /** Streams every row of a segment as CSV, page by page. */
  function csv<T extends { id: string }>(
    header: string[],
    fetch: (afterId: string | undefined, n: number) => Promise<T[]>,
    cells: (row: T) => (string | number | null)[],
  ) {
    async function* lines() {
      yield csvLines([header]);
      let after: string | undefined;
      for (;;) {
        const chunk = await fetch(after, CSV_CHUNK);
        if (chunk.length === 0) return;
        yield csvLines(chunk.map(cells));
        if (chunk.length < CSV_CHUNK) return;
        after = chunk.at(-1)?.id;
      }
    }
    return Readable.from(lines(), { objectMode: false });
  }

  return {
    registrations: (organizationId: string, f: SegmentFilters) =>
      jsonPage(
        f,
        (after, n) => registrationRows(organizationId, f, after, n),
        () => total(organizationId, f, "r.id"),
        toRegistrationSegmentDto,
      ),

    contacts: (organizationId: string, f: SegmentFilters) =>
      jsonPage(
        f,
        (after, n) => contactRows(organizationId, f, after, n),
        () => total(organizationId, f, "distinct r.contact_id"),
        toContactSegmentDto,
      ),

    registrationsCsv(organizationId: string, f: SegmentFilters) {
      return csv(
        REGISTRATION_SEGMENT_COLUMNS,
        (after, n) => registrationRows(organizationId, f, after, n),
        (r) => [
          r.id,
          r.event_id,
          guardCell(r.event_title),
          iso(r.event_starts_at),
          r.contact_id,
          ...contactCells(r),
          r.status,
          r.source,
          iso(r.created_at),
          ...resultCells(r),
          ...CAMPAIGN_COLUMNS.map((c) => guardCell(r[c])),
        ],
      );
    },

    contactsCsv(organizationId: string, f: SegmentFilters) {
      return csv(
        CONTACT_SEGMENT_COLUMNS,
        (after, n) => contactRows(organizationId, f, after, n),
        (c) => [c.id, ...contactCells(c), c.registrations, c.attended, ...resultSumCells(c)],
      );
    },
  };
}

function toRegistrationSegmentDto(r: RegistrationSegmentRow) {
  return {
    id: r.id,
    eventId: r.event_id,
    eventTitle: r.event_title,
    eventStartsAt: iso(r.event_starts_at) as string,
    status: r.status,
    source: r.source,
    createdAt: iso(r.created_at) as string,
    contact: { id: r.contact_id, ...toContactFieldsDto(r) },
    campaign: toCampaignDto(r),
    results: toResultsDto(r),
  };
}

function toContactSegmentDto(c: ContactSegmentRow) {
  return {
    id: c.id,
    ...toContactFieldsDto(c),
    registrations: c.registrations,
    attendedRegistrations: c.attended,
    ...toResultSumsDto(c),
  };
}

export type SegmentService = ReturnType<typeof createSegmentService>;
