import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/database.ts";
import { notFound } from "../../lib/errors.ts";
import type { EventService } from "../events/events.service.ts";
import { registrationInSession } from "./registration-webinars.ts";

/** Upper bounds of the minutes histogram's buckets; the last bucket is open (90 and more). */
export const MINUTE_BUCKETS = [0, 5, 15, 30, 45, 60, 90] as const;
const TOP_ATTENDEES = 10;
/** The channel of registrations that came without a campaign (no utm_source). */
export const DIRECT = "direct";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** `YYYY-MM-DD` plus `days`, by calendar arithmetic (no zone involved: these are local dates). */
function addDays(date: string, days: number) {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * The webinar dashboard of an event, or of one of its sessions (docs/web-app-api.md §2).
 * All numbers come from one consistent set: registrations with status "registered" in scope,
 * and their stored attendance from the webinars in scope. Aggregation happens in SQL, so the
 * cost does not grow with what is sent back.
 */
export function createDashboardService(deps: { db: Db; events: Pick<EventService, "get"> }) {
  const { db, events } = deps;

  return {
    async forEvent(organizationId: string, eventId: string, sessionId?: string) {
      const event = await events.get(organizationId, eventId);
      if (sessionId !== undefined) {
        const session = await db
          .selectFrom("event_sessions")
          .select("id")
          .where("id", "=", sessionId)
          .where("event_id", "=", eventId)
          .executeTakeFirst();
        if (!session) throw notFound("Session");
      }
      const computedAt = new Date();
      const inSession = (column: RawBuilder<unknown>) =>
        sessionId === undefined ? sql`true` : sql`${column} = ${sessionId}`;

      const webinars = await db
        .selectFrom("webinars as w")
        .innerJoin("webinar_configurations as c", "c.id", "w.configuration_id")
        .select(["w.id", "c.provider", "w.state", "w.last_metrics_at"])
        .where("w.organization_id", "=", organizationId)
        .where("w.event_id", "=", eventId)
        .$if(sessionId !== undefined, (q) => q.where("w.session_id", "=", sessionId as string))
        .orderBy("w.id")
        .execute();

      // One row per registration in scope with its attendance summed over the webinars in scope.
      const perRegistration = sql`
        select r.id, r.contact_id, r.created_at, r.utm_source, r.utm_medium,
          coalesce(sum(a.live_minutes), 0)::int as live,
          coalesce(sum(a.on_demand_minutes), 0)::int as on_demand,
          max(a.engagement_score) as score,
          coalesce(sum(a.questions_asked), 0)::int as questions,
          coalesce(sum(a.polls_answered), 0)::int as polls,
          coalesce(sum(a.resources_downloaded), 0)::int as resources
        from registrations r
        left join (attendance a join webinars w on w.id = a.webinar_id
            and w.event_id = ${eventId} and ${inSession(sql`w.session_id`)})
          on a.registration_id = r.id
        where r.organization_id = ${organizationId} and r.event_id = ${eventId}
          and r.status = 'registered'
          and ${sessionId === undefined ? sql`true` : registrationInSession(sql`r.id`, sessionId)}
        group by r.id`;

      const thresholds = sql.raw(`array[${MINUTE_BUCKETS.slice(1).join(",")}]`);
      const [totals, histogram, top, perDay, channels] = await Promise.all([
        sql<{
          registered: number;
          attended_live: number;
          watched_on_demand: number;
          no_show: number;
          live_minutes: number;
          on_demand_minutes: number;
          questions: number;
          polls: number;
          resources: number;
        }>`with per as (${perRegistration})
          select count(*)::int as registered,
            count(*) filter (where live > 0)::int as attended_live,
            count(*) filter (where on_demand > 0)::int as watched_on_demand,
            count(*) filter (where live + on_demand = 0)::int as no_show,
            coalesce(sum(live), 0)::int as live_minutes,
            coalesce(sum(on_demand), 0)::int as on_demand_minutes,
            coalesce(sum(questions), 0)::int as questions,
            coalesce(sum(polls), 0)::int as polls,
            coalesce(sum(resources), 0)::int as resources
          from per`.execute(db),
        sql<{ bucket: number; n: number }>`with per as (${perRegistration})
          select width_bucket(live + on_demand, ${thresholds}) as bucket, count(*)::int as n
          from per where live + on_demand > 0 group by 1`.execute(db),
        sql<{
          id: string;
          first_name: string;
          last_name: string;
          email: string;
          minutes: number;
          score: number | null;
        }>`with per as (${perRegistration})
          select per.id, c.first_name, c.last_name, c.email, (live + on_demand) as minutes, score
          from per join contacts c on c.id = per.contact_id
          where live + on_demand > 0
          order by score desc nulls last, minutes desc, per.id
          limit ${TOP_ATTENDEES}`.execute(db),
        sql<{ day: string; n: number }>`with per as (${perRegistration})
          select to_char(created_at at time zone ${event.time_zone}, 'YYYY-MM-DD') as day, count(*)::int as n
          from per group by 1 order by 1`.execute(db),
        // A channel is the campaign's source and medium; none at all is "direct" (issue 15 point 8).
        sql<{
          source: string;
          medium: string | null;
          registered: number;
          attended: number;
          live_minutes: number;
          on_demand_minutes: number;
        }>`with per as (${perRegistration})
          select coalesce(utm_source, ${DIRECT}) as source, utm_medium as medium,
            count(*)::int as registered,
            count(*) filter (where live + on_demand > 0)::int as attended,
            coalesce(sum(live), 0)::int as live_minutes,
            coalesce(sum(on_demand), 0)::int as on_demand_minutes
          from per group by 1, 2 order by registered desc, 1, 2 nulls first`.execute(db),
      ]);
      const t = totals.rows[0];
      if (!t) throw new Error("aggregate query returned no row");

      const counts = new Map(perDay.rows.map((r) => [r.day, r.n]));
      const registrationsOverTime: { date: string; count: number; cumulative: number }[] = [];
      const first = perDay.rows[0]?.day;
      const last = perDay.rows.at(-1)?.day;
      let cumulative = 0;
      for (let day = first; day !== undefined && last !== undefined && day <= last; day = addDays(day, 1)) {
        const count = counts.get(day) ?? 0;
        cumulative += count;
        registrationsOverTime.push({ date: day, count, cumulative });
      }

      const byBucket = new Map(histogram.rows.map((r) => [Number(r.bucket), r.n]));
      const metrics = webinars.map((w) => w.last_metrics_at);
      const attendanceAt =
        metrics.length === 0 || metrics.some((m) => m === null)
          ? null
          : new Date(Math.min(...metrics.map((m) => (m as Date).getTime())));

      return {
        eventId,
        sessionId: sessionId ?? null,
        timeZone: event.time_zone,
        webinars: webinars.map((w) => ({
          id: w.id,
          provider: w.provider,
          state: w.state,
          lastMetricsAt: iso(w.last_metrics_at),
        })),
        registrationsOverTime,
        funnel: {
          registered: t.registered,
          attendedLive: t.attended_live,
          watchedOnDemand: t.watched_on_demand,
          noShow: t.no_show,
        },
        minutesHistogram: MINUTE_BUCKETS.map((from, i) => ({
          fromMinutes: from,
          toMinutes: MINUTE_BUCKETS[i + 1] ?? null,
          count: byBucket.get(i) ?? 0,
        })),
        liveVsOnDemand: {
          liveMinutes: t.live_minutes,
          onDemandMinutes: t.on_demand_minutes,
          liveViewers: t.attended_live,
          onDemandViewers: t.watched_on_demand,
        },
        topAttendees: top.rows.map((r) => ({
          registrationId: r.id,
          firstName: r.first_name,
          lastName: r.last_name,
          email: r.email,
          minutes: r.minutes,
          engagementScore: r.score,
        })),
        byChannel: channels.rows.map((c) => ({
          source: c.source,
          medium: c.medium,
          registered: c.registered,
          attended: c.attended,
          noShow: c.registered - c.attended,
          liveMinutes: c.live_minutes,
          onDemandMinutes: c.on_demand_minutes,
        })),
        interactions: {
          questionsAsked: t.questions,
          pollsAnswered: t.polls,
          resourcesDownloaded: t.resources,
        },
        freshness: {
          registrations: computedAt.toISOString(),
          attendance: iso(attendanceAt),
          computedAt: new Date().toISOString(),
        },
      };
    },
  };
}

export type DashboardService = ReturnType<typeof createDashboardService>;
