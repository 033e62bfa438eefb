import type { Transaction } from "kysely";
import type { Database, EventRow, SessionRow } from "../../../db/schema.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import { conflict } from "../../../lib/errors.ts";
import { uuidv7 } from "../../../lib/ids.ts";

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

    /** After registrations change status: each affected provider registration is brought in line. */
    async registrationsChanged(trx: Trx, registrationIds: string[]) {
      if (registrationIds.length === 0) return;
      const regs = await trx
        .selectFrom("registrations")
        .select(["id", "event_id", "status", "organization_id"])
        .where("id", "in", registrationIds)
        .execute();
      const jobs: { registrationId: string; webinarId: string }[] = [];
      for (const reg of regs) {
        const webinars = await webinarsFor(trx, reg.id, reg.event_id);
        const desired = reg.status === "registered" ? "registered" : "cancelled";
        for (const w of webinars) {
          const existing = await trx
            .selectFrom("registration_syncs")
            .select(["state", "desired"])
            .where("registration_id", "=", reg.id)
            .where("webinar_id", "=", w.id)
            .executeTakeFirst();
          if (!existing) {
            if (desired !== "registered") continue;
            await trx
              .insertInto("registration_syncs")
              .values({
                registration_id: reg.id,
                webinar_id: w.id,
                organization_id: reg.organization_id,
                configuration_id: w.configuration_id,
                updated_at: new Date(),
              })
              .execute();
          } else {
            const done =
              (existing.state === "synced" && desired === "registered") ||
              (existing.state === "cancelled" && desired === "cancelled");
            if (existing.desired === desired && (done || existing.state === "held")) continue;
            await trx
              .updateTable("registration_syncs")
              .set({ desired, state: done ? existing.state : "pending", attempts: 0, updated_at: new Date() })
              .where("registration_id", "=", reg.id)
              .where("webinar_id", "=", w.id)
              .execute();
            if (done) continue;
          }
          // Always enqueued, even while the webinar is being provisioned: this job only runs
          // after this transaction commits, so either it sees the webinar provisioned, or the
          // provisioning's backfill (which runs later) sees this committed row. Skipping the job
          // here would lose registrations that commit after the backfill's snapshot.
          jobs.push({ registrationId: reg.id, webinarId: w.id });
        }
      }
      await queue.sendMany(trx, "registration.sync", jobs);
    },
  };
}

/**
 * The webinars a registration belongs to: the event's own webinar, plus the webinars of
 * the sessions it chose — or of every session when it chose none.
 */
export async function webinarsFor(trx: Trx, registrationId: string, eventId: string) {
  const chosen = await trx
    .selectFrom("registration_sessions")
    .select("session_id")
    .where("registration_id", "=", registrationId)
    .execute();
  const chosenIds = chosen.map((c) => c.session_id);
  return trx
    .selectFrom("webinars")
    .select(["id", "configuration_id", "session_id", "state"])
    .where("event_id", "=", eventId)
    .where("desired", "=", "active")
    .where((eb) =>
      chosenIds.length === 0
        ? eb.lit(true)
        : eb.or([eb("session_id", "is", null), eb("session_id", "in", chosenIds)]),
    )
    .execute();
}

export type SyncPlanner = ReturnType<typeof createSyncPlanner>;
