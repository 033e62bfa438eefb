import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { notFound } from "../../lib/errors.ts";
import type { AuditWrite } from "../audit/audit.service.ts";

/**
 * Read models of the integration (webinar states, sync issues, attendance aggregates) and
 * the operator's levers (replay failed work, poll metrics now).
 */
export function createWebinarService(deps: { db: Db; queue: JobQueue }) {
  const { db, queue } = deps;

  async function statsFor(webinarIds: string[]) {
    if (webinarIds.length === 0) return new Map<string, Stats>();
    const rows = await db
      .selectFrom("registration_syncs as s")
      .innerJoin("registrations as r", "r.id", "s.registration_id")
      .leftJoin("attendance as a", (j) =>
        j.onRef("a.registration_id", "=", "s.registration_id").onRef("a.webinar_id", "=", "s.webinar_id"),
      )
      .select([
        "s.webinar_id",
        sql<number>`count(*) filter (where r.status = 'registered')::int`.as("registered"),
        sql<number>`count(*) filter (where a.live_minutes > 0)::int`.as("attended_live"),
        sql<number>`count(*) filter (where a.on_demand_minutes > 0)::int`.as("watched_on_demand"),
        sql<number>`count(*) filter (where r.status = 'registered' and coalesce(a.live_minutes, 0) + coalesce(a.on_demand_minutes, 0) = 0)::int`.as(
          "no_show",
        ),
        sql<number>`coalesce(avg(a.live_minutes + a.on_demand_minutes) filter (where a.live_minutes + a.on_demand_minutes > 0), 0)::float8`.as(
          "average_minutes",
        ),
        sql<number>`count(*) filter (where s.state = 'pending')::int`.as("pending"),
        sql<number>`count(*) filter (where s.state = 'synced')::int`.as("synced"),
        sql<number>`count(*) filter (where s.state = 'held')::int`.as("held"),
        sql<number>`count(*) filter (where s.state = 'failed')::int`.as("failed"),
      ])
      .where("s.webinar_id", "in", webinarIds)
      .groupBy("s.webinar_id")
      .execute();
    return new Map(rows.map((r) => [r.webinar_id, r]));
  }

  return {
    /** Change-notification subscriptions of one configuration's webinars (the caller checked the configuration). */
    subscriptionsOf(organizationId: string, configurationId: string) {
      return db
        .selectFrom("webhook_subscriptions")
        .select(["webinar_id", "state", "expires_at", "renewed_at", "attempts", "last_error"])
        .where("organization_id", "=", organizationId)
        .where("configuration_id", "=", configurationId)
        .orderBy("webinar_id")
        .execute();
    },

    async forEvent(organizationId: string, eventId: string) {
      const webinars = await db
        .selectFrom("webinars as w")
        .innerJoin("webinar_configurations as c", "c.id", "w.configuration_id")
        .select([
          "w.id",
          "w.event_id",
          "w.session_id",
          "w.configuration_id",
          "c.provider",
          "w.provider_webinar_id",
          "w.join_url",
          "w.state",
          "w.desired",
          "w.last_error",
          "w.last_metrics_at",
          "w.recording_url",
          "w.recording_kind",
          "w.recording_available_until",
          "w.recording_fetched_at",
        ])
        .where("w.organization_id", "=", organizationId)
        .where("w.event_id", "=", eventId)
        .orderBy("w.id")
        .execute();
      const stats = await statsFor(webinars.map((w) => w.id));
      return webinars.map((w) => ({ ...w, stats: stats.get(w.id) ?? null }));
    },

    async syncStates(registrationIds: string[]) {
      if (registrationIds.length === 0) return [];
      return db
        .selectFrom("registration_syncs as s")
        .leftJoin("attendance as a", (j) =>
          j.onRef("a.registration_id", "=", "s.registration_id").onRef("a.webinar_id", "=", "s.webinar_id"),
        )
        .select([
          "s.registration_id",
          "s.webinar_id",
          "s.state",
          "s.join_url",
          "s.last_error",
          "s.attempts",
          "s.synced_at",
          "a.live_minutes",
          "a.on_demand_minutes",
          "a.engagement_score",
          "a.questions_asked",
          "a.polls_answered",
          "a.resources_downloaded",
          "a.first_activity_at",
          "a.last_activity_at",
        ])
        .where("s.registration_id", "in", registrationIds)
        .execute();
    },

    async issues(organizationId: string, configurationId: string) {
      const registrations = await db
        .selectFrom("registration_syncs")
        .select(["registration_id", "webinar_id", "state", "last_error", "attempts", "updated_at"])
        .where("organization_id", "=", organizationId)
        .where("configuration_id", "=", configurationId)
        .where("state", "in", ["held", "failed"])
        .orderBy("updated_at", "desc")
        .limit(500)
        .execute();
      const webinars = await db
        .selectFrom("webinars")
        .select(["id", "event_id", "session_id", "state", "last_error", "attempts", "updated_at"])
        .where("organization_id", "=", organizationId)
        .where("configuration_id", "=", configurationId)
        .where("state", "in", ["held", "failed"])
        .execute();
      return { registrations, webinars };
    },

    /** Failed work goes back to the queue with a fresh attempt budget. */
    async replay(
      organizationId: string,
      configurationId: string,
      registrationIds?: string[],
      audit?: AuditWrite,
    ) {
      return db.transaction().execute(async (trx) => {
        await audit?.(trx);
        const syncs = await trx
          .updateTable("registration_syncs")
          .set({ state: "pending", attempts: 0, last_error: null, updated_at: new Date() })
          .where("organization_id", "=", organizationId)
          .where("configuration_id", "=", configurationId)
          .where("state", "=", "failed")
          .$if(registrationIds !== undefined, (q) =>
            q.where("registration_id", "in", registrationIds as string[]),
          )
          .returning(["registration_id", "webinar_id"])
          .execute();
        await queue.sendMany(
          trx,
          "registration.sync",
          syncs.map((s) => ({ registrationId: s.registration_id, webinarId: s.webinar_id })),
        );
        const webinars = registrationIds
          ? []
          : await trx
              .updateTable("webinars")
              .set({ state: "pending", attempts: 0, last_error: null, updated_at: new Date() })
              .where("organization_id", "=", organizationId)
              .where("configuration_id", "=", configurationId)
              .where("state", "=", "failed")
              .returning("id")
              .execute();
        await queue.sendMany(
          trx,
          "webinar.sync",
          webinars.map((w) => ({ webinarId: w.id })),
        );
        return { registrations: syncs.length, webinars: webinars.length };
      });
    },

    async pollNow(organizationId: string, webinarId: string) {
      const w = await db
        .selectFrom("webinars")
        .select("id")
        .where("organization_id", "=", organizationId)
        .where("id", "=", webinarId)
        .executeTakeFirst();
      if (!w) throw notFound("Webinar");
      await queue.send(db, "metrics.poll", { webinarId });
    },
  };
}

interface Stats {
  webinar_id: string;
  registered: number;
  attended_live: number;
  watched_on_demand: number;
  no_show: number;
  average_minutes: number;
  pending: number;
  synced: number;
  held: number;
  failed: number;
}

export type WebinarService = ReturnType<typeof createWebinarService>;
