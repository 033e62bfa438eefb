import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { CreateSessionInput, UpdateSessionInput } from "./events.schemas.ts";
import { assertOrdered, type EventHooks, type EventService, resolveField } from "./events.service.ts";

type Executor = Db | Transaction<Database>;

/**
 * Sessions of an event: times read in the event's zone; a session may have its own format
 * and its own webinar configuration (one session of an on-site event can be the webinar).
 * Writes lock the event, and a cancelled event's sessions are read-only.
 */
export function createEventSessionService(deps: { db: Db; events: EventService; hooks: EventHooks }) {
  const { db, events, hooks } = deps;

  async function getSession(
    organizationId: string,
    eventId: string,
    sessionId: string,
    executor: Executor = db,
  ) {
    const row = await executor
      .selectFrom("event_sessions")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("event_id", "=", eventId)
      .where("id", "=", sessionId)
      .executeTakeFirst();
    if (!row) throw notFound("Session");
    return row;
  }

  return {
    getSession,

    async listSessions(organizationId: string, eventId: string) {
      const event = await events.get(organizationId, eventId);
      const rows = await db
        .selectFrom("event_sessions")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .where("event_id", "=", eventId)
        .orderBy("starts_at")
        .orderBy("id")
        .execute();
      return { event, rows };
    },

    async createSession(organizationId: string, eventId: string, input: CreateSessionInput) {
      return db.transaction().execute(async (trx) => {
        const event = await events.lockWritable(trx, organizationId, eventId);
        const startsAt = resolveField(input.startsAt, event.time_zone, "startsAt");
        const endsAt = resolveField(input.endsAt, event.time_zone, "endsAt");
        assertOrdered(startsAt, endsAt, "endsAt");
        if (input.webinarConfigurationId) {
          await hooks.validateWebinarConfiguration(trx, organizationId, input.webinarConfigurationId);
        }
        await events.assertWebinarType(
          trx,
          organizationId,
          input.webinarConfigurationId ?? null,
          input.webinarType ?? null,
        );
        const row = await trx
          .insertInto("event_sessions")
          .values({
            id: uuidv7(),
            organization_id: organizationId,
            event_id: eventId,
            title: input.title,
            description: input.description,
            starts_at: startsAt,
            ends_at: endsAt,
            format: input.format,
            webinar_configuration_id: input.webinarConfigurationId ?? null,
            webinar_type: input.webinarType ?? null,
            updated_at: new Date(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await hooks.sessionChanged(trx, row, event);
        return { event, row };
      });
    },

    async updateSession(
      organizationId: string,
      eventId: string,
      sessionId: string,
      input: UpdateSessionInput,
    ) {
      return db.transaction().execute(async (trx) => {
        const event = await events.lockWritable(trx, organizationId, eventId);
        const current = await getSession(organizationId, eventId, sessionId, trx);
        const startsAt = input.startsAt
          ? resolveField(input.startsAt, event.time_zone, "startsAt")
          : current.starts_at;
        const endsAt = input.endsAt ? resolveField(input.endsAt, event.time_zone, "endsAt") : current.ends_at;
        assertOrdered(startsAt, endsAt, "endsAt");
        if (input.webinarConfigurationId) {
          await hooks.validateWebinarConfiguration(trx, organizationId, input.webinarConfigurationId);
        }
        if (input.webinarConfigurationId !== undefined || input.webinarType !== undefined) {
          await events.assertWebinarType(
            trx,
            organizationId,
            input.webinarConfigurationId === undefined
              ? current.webinar_configuration_id
              : input.webinarConfigurationId,
            input.webinarType === undefined ? current.webinar_type : input.webinarType,
          );
        }
        const row = await trx
          .updateTable("event_sessions")
          .set({
            ...(input.title !== undefined && { title: input.title }),
            ...(input.description !== undefined && { description: input.description }),
            ...(input.format !== undefined && { format: input.format }),
            ...(input.webinarConfigurationId !== undefined && {
              webinar_configuration_id: input.webinarConfigurationId,
            }),
            ...(input.webinarType !== undefined && { webinar_type: input.webinarType }),
            starts_at: startsAt,
            ends_at: endsAt,
            updated_at: new Date(),
          })
          .where("organization_id", "=", organizationId)
          .where("id", "=", sessionId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await hooks.sessionChanged(trx, row, event);
        return { event, row };
      });
    },

    async removeSession(organizationId: string, eventId: string, sessionId: string) {
      await db.transaction().execute(async (trx) => {
        await events.lockWritable(trx, organizationId, eventId);
        await getSession(organizationId, eventId, sessionId, trx);
        await hooks.assertNoLiveWebinar(trx, { eventId, sessionId });
        await trx
          .deleteFrom("event_sessions")
          .where("organization_id", "=", organizationId)
          .where("id", "=", sessionId)
          .execute();
      });
    },
  };
}

export type EventSessionService = ReturnType<typeof createEventSessionService>;
