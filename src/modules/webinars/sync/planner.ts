import { sql, type Transaction } from "kysely";
import type { Database, EventRow, SessionRow } from "../../../db/schema.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import { conflict } from "../../../lib/errors.ts";
import { uuidv7 } from "../../../lib/ids.ts";
import { webinarOfRegistration } from "../registration-webinars.ts";

type Trx = Transaction<Database>;

const isWebinarFormat = (format: string | null | undefined) => format === "webinar" || format === "hybrid";

/**
 * Called inside the transaction of every change that matters to a provider, so the job
 * exists exactly when the change commits (transactional outbox). It records what the
 * provider *should* hold (`desired`), and enqueues a level-triggered job to get it there.
 */
export function createSyncPlanner(deps: { queue: JobQueue }) {
  const { queue } = deps;

  async function upsertWebinar(
    trx: Trx,
    target: {
      organizationId: string;
      eventId: string;
      sessionId: string | null;
      configurationId: string | null;
      active: boolean;
    },
  ) {
    let query = trx.selectFrom("webinars").selectAll().where("event_id", "=", target.eventId);
    query =
      target.sessionId === null
        ? query.where("session_id", "is", null)
        : query.where("session_id", "=", target.sessionId);
    const existing = await query.executeTakeFirst();
    if (!existing) {
      if (!target.active || !target.configurationId) return;
      const id = uuidv7();
      await trx
        .insertInto("webinars")
        .values({
          id,
          organization_id: target.organizationId,
          configuration_id: target.configurationId,
          event_id: target.eventId,
          session_id: target.sessionId,
          updated_at: new Date(),
        })
        .execute();
      await queue.send(trx, "webinar.sync", { webinarId: id });
      return;
    }
    if (
      target.configurationId !== null &&
      target.configurationId !== existing.configuration_id &&
      existing.desired === "active"
    ) {
      throw conflict(
        "webinar_configuration_locked",
        "The webinar already runs on another account; switch the format off first, then choose the new account",
        "webinarConfigurationId",
      );
    }
    const desired = target.active ? "active" : "deleted";
    if (desired === existing.desired && desired === "deleted") return;
    await trx
      .updateTable("webinars")
      .set({
        desired,
        configuration_id: target.configurationId ?? existing.configuration_id,
        version: existing.version + 1,
        updated_at: new Date(),
      })
      .where("id", "=", existing.id)
      .execute();
    await queue.send(trx, "webinar.sync", { webinarId: existing.id });
  }

  return {
    async eventChanged(trx: Trx, event: EventRow) {
      await upsertWebinar(trx, {
        organizationId: event.organization_id,
        eventId: event.id,
        sessionId: null,
        configurationId: event.webinar_configuration_id,
        active:
          event.status !== "cancelled" &&
          isWebinarFormat(event.format) &&
          event.webinar_configuration_id !== null,
      });
      // Sessions follow their event's cancellation and time changes.
      const sessions = await trx
        .selectFrom("event_sessions")
        .selectAll()
        .where("event_id", "=", event.id)
        .execute();
      for (const session of sessions) await this.sessionChanged(trx, session, event);
    },

    async sessionChanged(trx: Trx, session: SessionRow, event: EventRow) {
      await upsertWebinar(trx, {
        organizationId: event.organization_id,
        eventId: event.id,
        sessionId: session.id,
        configurationId: session.webinar_configuration_id,
        active:
          event.status !== "cancelled" &&
          isWebinarFormat(session.format ?? event.format) &&
          session.webinar_configuration_id !== null,
      });
    },

    /**
     * After registrations change status: each affected provider registration is brought in
     * line. It runs inside every registration's transaction, so round trips count: one
     * statement finds every (registration, webinar) pair with its sync row and inserts the
     * missing rows of registered ones; only rows that exist are updated one by one.
     */
    async registrationsChanged(trx: Trx, registrationIds: string[]) {
      if (registrationIds.length === 0) return;
      const now = new Date();
      const pairs = await trx
        .with("pairs", (db) =>
          db
            .selectFrom("registrations as r")
            .innerJoin("webinars as w", (j) =>
              j.onRef("w.event_id", "=", "r.event_id").on("w.desired", "=", "active"),
            )
            .leftJoin("registration_syncs as s", (j) =>
              j.onRef("s.registration_id", "=", "r.id").onRef("s.webinar_id", "=", "w.id"),
            )
            .select([
              "r.id",
              "r.status",
              "r.organization_id",
              "w.id as webinar_id",
              "w.configuration_id",
              "s.state",
              "s.desired",
            ])
            .where("r.id", "in", registrationIds)
            .where(webinarOfRegistration),
        )
        .with("inserted", (db) =>
          db
            .insertInto("registration_syncs")
            .columns(["registration_id", "webinar_id", "organization_id", "configuration_id", "updated_at"])
            .expression(
              db
                .selectFrom("pairs")
                .select([
                  "pairs.id",
                  "pairs.webinar_id",
                  "pairs.organization_id",
                  "pairs.configuration_id",
                  // Typed here: an INSERT … SELECT list does not take the column's type.
                  sql<Date>`${now}::timestamptz`.as("updated_at"),
                ])
                // `state` is NOT NULL, so null means no sync row yet.
                .where("pairs.state", "is", null)
                .where("pairs.status", "=", "registered"),
            )
            .returning(["registration_id", "webinar_id"]),
        )
        .selectFrom("pairs")
        .leftJoin("inserted", (j) =>
          j
            .onRef("inserted.registration_id", "=", "pairs.id")
            .onRef("inserted.webinar_id", "=", "pairs.webinar_id"),
        )
        .selectAll("pairs")
        .select(sql<boolean>`inserted.registration_id is not null`.as("inserted"))
        .orderBy("pairs.id")
        .orderBy("pairs.webinar_id")
        .execute();
      const jobs: { registrationId: string; webinarId: string }[] = [];
      for (const pair of pairs) {
        const desired = pair.status === "registered" ? "registered" : "cancelled";
        if (pair.state === null || pair.desired === null) {
          // No sync row: the statement inserted one if the registration is registered.
          if (!pair.inserted) continue;
        } else {
          const done =
            (pair.state === "synced" && desired === "registered") ||
            (pair.state === "cancelled" && desired === "cancelled");
          if (pair.desired === desired && (done || pair.state === "held")) continue;
          await trx
            .updateTable("registration_syncs")
            .set({ desired, state: done ? pair.state : "pending", attempts: 0, updated_at: new Date() })
            .where("registration_id", "=", pair.id)
            .where("webinar_id", "=", pair.webinar_id)
            .execute();
          if (done) continue;
        }
        // Always enqueued, even while the webinar is being provisioned: this job only runs
        // after this transaction commits, so either it sees the webinar provisioned, or the
        // provisioning's backfill (which runs later) sees this committed row. Skipping the job
        // here would lose registrations that commit after the backfill's snapshot.
        jobs.push({ registrationId: pair.id, webinarId: pair.webinar_id });
      }
      await queue.sendMany(trx, "registration.sync", jobs);
    },
  };
}

export type SyncPlanner = ReturnType<typeof createSyncPlanner>;
