import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import { conflict, notFound, unprocessable } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import type { EventService } from "../events/events.service.ts";
import type { CheckInDto, CreateCheckInInput } from "./checkins.schemas.ts";

type Executor = Db | Transaction<Database>;

/** Scanner clocks drift; a check-in further ahead than this is a typo, not a skewed clock. */
const MAX_FUTURE_MS = 5 * 60 * 1000;

interface CheckInJoined {
  id: string;
  event_id: string;
  registration_id: string;
  session_id: string | null;
  kind: "onsite" | "webinar";
  checked_in_at: Date;
  created_at: Date;
  contact_id: string;
  first_name: string;
  last_name: string;
}

const toDto = (c: CheckInJoined): CheckInDto => ({
  id: c.id,
  eventId: c.event_id,
  registrationId: c.registration_id,
  sessionId: c.session_id,
  kind: c.kind,
  checkedInAt: c.checked_in_at.toISOString(),
  createdAt: c.created_at.toISOString(),
  contact: { id: c.contact_id, firstName: c.first_name, lastName: c.last_name },
});

/**
 * On-site check-ins. A scan locks the registration row, so two scanners reading the same
 * badge at once serialize and the second finds the first's check-in instead of adding one.
 */
export function createCheckInService(deps: { db: Db; events: Pick<EventService, "get"> }) {
  const { db } = deps;
  const eventOf = (executor: Executor, organizationId: string, eventId: string) =>
    deps.events.get(organizationId, eventId, executor);

  function joined(executor: Executor, organizationId: string) {
    return executor
      .selectFrom("check_ins as ci")
      .innerJoin("registrations as r", "r.id", "ci.registration_id")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select([
        "ci.id",
        "ci.event_id",
        "ci.registration_id",
        "ci.session_id",
        "ci.kind",
        "ci.checked_in_at",
        "ci.created_at",
        "c.id as contact_id",
        "c.first_name",
        "c.last_name",
      ])
      .where("ci.organization_id", "=", organizationId);
  }

  return {
    /** Returns the check-in and whether it is new (false: this scan repeated an earlier one). */
    async checkIn(
      organizationId: string,
      eventId: string,
      input: CreateCheckInInput,
    ): Promise<{ checkIn: CheckInDto; created: boolean }> {
      const checkedInAt = input.checkedInAt ? new Date(input.checkedInAt) : new Date();
      if (checkedInAt.getTime() > Date.now() + MAX_FUTURE_MS)
        throw unprocessable("checked_in_in_future", "checkedInAt is in the future", "checkedInAt");
      const sessionId = input.sessionId ?? null;
      return db.transaction().execute(async (trx) => {
        const event = await eventOf(trx, organizationId, eventId);
        if (event.status === "cancelled") throw conflict("event_cancelled", "The event is cancelled");
        // Another organization's or another event's registration reads as unknown: no hint it exists.
        const reg = await trx
          .selectFrom("registrations")
          .select(["id", "status"])
          .where("organization_id", "=", organizationId)
          .where("event_id", "=", eventId)
          .where("id", "=", input.registrationId)
          .forUpdate()
          .executeTakeFirst();
        if (!reg)
          throw unprocessable(
            "unknown_registration",
            "No such registration for this event",
            "registrationId",
          );
        if (reg.status === "cancelled")
          throw conflict("registration_cancelled", "The registration is cancelled", "registrationId");
        if (reg.status === "waitlisted")
          throw conflict(
            "registration_waitlisted",
            "The registration is on the waitlist, not confirmed",
            "registrationId",
          );
        if (sessionId !== null) {
          const session = await trx
            .selectFrom("event_sessions")
            .select("id")
            .where("organization_id", "=", organizationId)
            .where("event_id", "=", eventId)
            .where("id", "=", sessionId)
            .executeTakeFirst();
          if (!session) throw unprocessable("unknown_session", "No such session in this event", "sessionId");
          const chosen = await trx
            .selectFrom("registration_sessions")
            .select("session_id")
            .where("registration_id", "=", reg.id)
            .execute();
          // No chosen sessions means a pass for the whole event; otherwise only the chosen rooms.
          if (chosen.length > 0 && !chosen.some((c) => c.session_id === sessionId))
            throw conflict("session_not_chosen", "The registration did not choose this session", "sessionId");
        }
        const existing = await joined(trx, organizationId)
          .where("ci.registration_id", "=", reg.id)
          .where("ci.kind", "=", "onsite")
          .$if(sessionId === null, (q) => q.where("ci.session_id", "is", null))
          .$if(sessionId !== null, (q) => q.where("ci.session_id", "=", sessionId as string))
          .orderBy("ci.id")
          .executeTakeFirst();
        if (existing) return { checkIn: toDto(existing), created: false };
        const id = uuidv7();
        await trx
          .insertInto("check_ins")
          .values({
            id,
            organization_id: organizationId,
            event_id: eventId,
            session_id: sessionId,
            registration_id: reg.id,
            kind: "onsite",
            checked_in_at: checkedInAt,
          })
          .execute();
        const row = await joined(trx, organizationId).where("ci.id", "=", id).executeTakeFirstOrThrow();
        return { checkIn: toDto(row), created: true };
      });
    },

    /** Newest first: the door wants the last scans on top. */
    async list(
      organizationId: string,
      eventId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        sessionId?: string | undefined;
        registrationIds?: string[] | undefined;
      },
    ) {
      await eventOf(db, organizationId, eventId);
      const after = decodeCursor(query.cursor);
      const rows = await joined(db, organizationId)
        .where("ci.event_id", "=", eventId)
        .$if(after !== undefined, (q) => q.where("ci.id", "<", after as string))
        .$if(query.sessionId !== undefined, (q) => q.where("ci.session_id", "=", query.sessionId as string))
        .$if(query.registrationIds !== undefined, (q) =>
          q.where("ci.registration_id", "in", query.registrationIds as string[]),
        )
        .orderBy("ci.id", "desc")
        .limit(query.limit + 1)
        .execute();
      const result = toPage(rows, query.limit);
      return { data: result.data.map(toDto), nextCursor: result.nextCursor };
    },

    /**
     * The door's live numbers, counted by the database so they hold however many people came
     * (the desk once counted a 500-row page of the list). `checkedIn`: registrations with an
     * on-site check-in to the event itself (session check-ins are other rooms' counts);
     * `registered`: registrations that may come in (not cancelled, not waitlisted).
     */
    async counts(organizationId: string, eventId: string) {
      await eventOf(db, organizationId, eventId);
      const [checkedIn, registered] = await Promise.all([
        db
          .selectFrom("check_ins")
          .select((eb) => eb.fn.count<string>("registration_id").distinct().as("n"))
          .where("organization_id", "=", organizationId)
          .where("event_id", "=", eventId)
          .where("kind", "=", "onsite")
          .where("session_id", "is", null)
          .executeTakeFirstOrThrow(),
        db
          .selectFrom("registrations")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .where("organization_id", "=", organizationId)
          .where("event_id", "=", eventId)
          .where("status", "=", "registered")
          .executeTakeFirstOrThrow(),
      ]);
      return { checkedIn: Number(checkedIn.n), registered: Number(registered.n) };
    },

    /** Undoes a mistaken scan. */
    async remove(organizationId: string, id: string) {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom("check_ins")
          .select(["id", "event_id"])
          .where("organization_id", "=", organizationId)
          .where("id", "=", id)
          .executeTakeFirst();
        if (!row) throw notFound("Check-in");
        const event = await eventOf(trx, organizationId, row.event_id);
        if (event.status === "cancelled") throw conflict("event_cancelled", "The event is cancelled");
        await trx.deleteFrom("check_ins").where("id", "=", row.id).execute();
      });
    },
  };
}

export type CheckInService = ReturnType<typeof createCheckInService>;
