import { type RawBuilder, type SqlBool, sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../db/database.ts";

/**
 * A registration's results, summed over every webinar it belongs to (issue 16, "Exports with
 * results"): the same numbers in the API, the registrations CSV, a contact's export and the
 * segments. Kept in one place so the four never disagree.
 *
 * - minutes are live + on-demand; engagement is the best score of its webinars (a score is
 *   a provider's 0–100 rating of one viewing, so a sum would mean nothing);
 * - attended: watched for at least a minute (the attendance sum kept on the registration,
 *   migration 0060) or checked in on site.
 */
export const attendedSql = (r: string) =>
  sql<SqlBool>`(${sql.ref(`${r}.attended_minutes`)} > 0 or exists (select 1 from check_ins ci
    where ci.registration_id = ${sql.ref(`${r}.id`)} and ci.kind = 'onsite'))`;

/** A lateral subquery of the sums over `attendance`; join it `on true` as `res`. */
export const resultsLateral = (r: string): RawBuilder<unknown> => sql`lateral (
  select coalesce(sum(a.live_minutes), 0)::int as live_minutes,
    coalesce(sum(a.on_demand_minutes), 0)::int as on_demand_minutes,
    max(a.engagement_score) as engagement_score,
    coalesce(sum(a.questions_asked), 0)::int as questions_asked,
    coalesce(sum(a.polls_answered), 0)::int as polls_answered,
    min(a.first_activity_at) as first_join,
    max(a.last_activity_at) as last_leave
  from attendance a where a.registration_id = ${sql.ref(`${r}.id`)}) res`;

/** The sums over attendance, as read; a contact's segment row has them summed once more. */
export interface ResultSums {
  live_minutes: number;
  on_demand_minutes: number;
  engagement_score: number | null;
  questions_asked: number;
  polls_answered: number;
  first_join: Date | null;
  last_leave: Date | null;
}
export type ResultRow = ResultSums & { attended: boolean };

export const resultSumsResponse = z.object({
  liveMinutes: z.number().int(),
  onDemandMinutes: z.number().int(),
  engagementScore: z.number().nullable(),
  questionsAsked: z.number().int(),
  pollsAnswered: z.number().int(),
  firstJoinAt: z.string().nullable(),
  lastLeaveAt: z.string().nullable(),
});
export const resultsResponse = z.object({ attended: z.boolean(), ...resultSumsResponse.shape });
export type ResultsDto = z.infer<typeof resultsResponse>;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function toResultsDto(row: ResultRow): ResultsDto {
  return { attended: row.attended, ...toResultSumsDto(row) };
}

export function toResultSumsDto(row: ResultSums): z.infer<typeof resultSumsResponse> {
  return {
    liveMinutes: row.live_minutes,
    onDemandMinutes: row.on_demand_minutes,
    engagementScore: row.engagement_score === null ? null : Number(row.engagement_score),
    questionsAsked: row.questions_asked,
    pollsAnswered: row.polls_answered,
    firstJoinAt: iso(row.first_join),
    lastLeaveAt: iso(row.last_leave),
  };
}

/** The CSV columns of results, in order (registrations CSV, contact export, segments); campaign.ts has the campaign's. */
export const RESULT_SUM_COLUMNS = [
  "live_minutes",
  "on_demand_minutes",
  "engagement_score",
  "questions_asked",
  "polls_answered",
  "first_join",
  "last_leave",
] as const;
export const RESULT_COLUMNS = ["attended", ...RESULT_SUM_COLUMNS] as const;

export function resultCells(row: ResultRow): (string | number)[] {
  return [row.attended ? "yes" : "no", ...resultSumCells(row)];
}

export function resultSumCells(row: ResultSums): (string | number)[] {
  return [
    row.live_minutes,
    row.on_demand_minutes,
    row.engagement_score === null ? "" : Number(row.engagement_score),
    row.questions_asked,
    row.polls_answered,
    iso(row.first_join) ?? "",
    iso(row.last_leave) ?? "",
  ];
}

/** The results of these registrations (of one organization), keyed by registration id. */
export async function resultsOf(db: Db, organizationId: string, registrationIds: string[]) {
  const map = new Map<string, ResultsDto>();
  if (registrationIds.length === 0) return map;
  const rows = await sql<ResultRow & { id: string }>`
    select r.id, res.*, ${attendedSql("r")} as attended
    from registrations r cross join ${resultsLateral("r")}
    where r.organization_id = ${organizationId}
      and r.id in (${sql.join(registrationIds.map((id) => sql`${id}::uuid`))})`.execute(db);
  for (const row of rows.rows) map.set(row.id, toResultsDto(row));
  return map;
}
