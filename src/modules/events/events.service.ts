import { randomBytes } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database, EventRow, EventStatus, NewEvent, SessionRow } from "../../db/schema.ts";
import { conflict, notFound, unprocessable } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import { instantToLocal, NonexistentLocalTimeError, resolveDateTime } from "../../lib/time.ts";
import type {
  CreateEventInput,
  CreateSessionInput,
  UpdateEventInput,
  UpdateSessionInput,
} from "./events.schemas.ts";

type Executor = Db | Transaction<Database>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toEventDto(e: EventRow) {
  return {
    id: e.id,
    title: e.title,
    description: e.description,
    startsAt: e.starts_at.toISOString(),
    endsAt: e.ends_at.toISOString(),
    startsAtLocal: instantToLocal(e.starts_at, e.time_zone),
    endsAtLocal: instantToLocal(e.ends_at, e.time_zone),
    timeZone: e.time_zone,
    format: e.format,
    language: e.language,
    capacity: e.capacity,
    registrationOpensAt: iso(e.registration_opens_at),
    registrationClosesAt: iso(e.registration_closes_at),
    status: e.status,
    slug: e.slug,
    registrationFields: e.registration_fields,
    consentText: e.consent_text,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
  };
}

export function toSessionDto(s: SessionRow, event: Pick<EventRow, "time_zone" | "format">) {
  return {
    id: s.id,
    eventId: s.event_id,
    title: s.title,
    description: s.description,
    startsAt: s.starts_at.toISOString(),
    endsAt: s.ends_at.toISOString(),
    startsAtLocal: instantToLocal(s.starts_at, event.time_zone),
    endsAtLocal: instantToLocal(s.ends_at, event.time_zone),
    format: s.format,
    effectiveFormat: s.format ?? event.format,
    createdAt: s.created_at.toISOString(),
    updatedAt: s.updated_at.toISOString(),
  };
}

/** Resolves an input time in a zone, turning a nonexistent wall-clock time into a 422 naming the field. */
function resolveField(value: string, timeZone: string, field: string): Date {
  try {
    return resolveDateTime(value, timeZone);
  } catch (error) {
    if (error instanceof NonexistentLocalTimeError) {
      throw unprocessable(
        "nonexistent_local_time",
        `${field}: ${error.message} (a daylight-saving gap)`,
        field,
      );
    }
    throw unprocessable("invalid_date_time", `${field}: not a valid date-time`, field);
  }
}

function assertOrdered(start: Date, end: Date, field: string) {
  if (end.getTime() <= start.getTime())
    throw unprocessable("invalid_time_range", `${field} must be after the start`, field);
}

const newSlug = (title: string) => {
  const base = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return `${base || "event"}-${randomBytes(3).toString("hex")}`;
};

const ALLOWED_TRANSITIONS: Record<EventStatus, EventStatus[]> = {
  draft: ["published", "cancelled"],
  published: ["cancelled", "draft"],
  cancelled: [],
};

export function createEventService(deps: { db: Db }) {
  const { db } = deps;

  async function get(organizationId: string, id: string, executor: Executor = db): Promise<EventRow> {
    const row = await executor
      .selectFrom("events")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound("Event");
    return row;
  }

  /** The event row locked for the rest of the transaction: capacity decisions serialize on it. */
  async function lock(trx: Transaction<Database>, organizationId: string, id: string): Promise<EventRow> {
    const row = await trx
      .selectFrom("events")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound("Event");
    return row;
  }

  async function insertWithSlug(values: NewEvent, explicitSlug: boolean) {
    try {
      return await db.insertInto("events").values(values).returningAll().executeTakeFirstOrThrow();
    } catch (error) {
      if ((error as { code?: string }).code === "23505") {
        if (explicitSlug) throw conflict("slug_taken", "This slug is already in use", "slug");
      }
      throw error;
    }
  }

  async function getSession(organizationId: string, eventId: string, sessionId: string) {
    const row = await db
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
    get,
    lock,

    async create(organizationId: string, input: CreateEventInput) {
      const startsAt = resolveField(input.startsAt, input.timeZone, "startsAt");
      const endsAt = resolveField(input.endsAt, input.timeZone, "endsAt");
      assertOrdered(startsAt, endsAt, "endsAt");
      const opens = input.registrationOpensAt
        ? resolveField(input.registrationOpensAt, input.timeZone, "registrationOpensAt")
        : null;
      const closes = input.registrationClosesAt
        ? resolveField(input.registrationClosesAt, input.timeZone, "registrationClosesAt")
        : null;
      if (opens && closes) assertOrdered(opens, closes, "registrationClosesAt");
      return insertWithSlug(
        {
          id: uuidv7(),
          organization_id: organizationId,
          title: input.title,
          description: input.description,
          starts_at: startsAt,
          ends_at: endsAt,
          time_zone: input.timeZone,
          format: input.format,
          language: input.language,
          capacity: input.capacity,
          registration_opens_at: opens,
          registration_closes_at: closes,
          slug: input.slug ?? newSlug(input.title),
          registration_fields: JSON.stringify(input.registrationFields),
          consent_text: input.consentText,
          updated_at: new Date(),
        },
        input.slug !== undefined,
      );
    },

    async list(
      organizationId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        status?: EventStatus | undefined;
        q?: string | null | undefined;
      },
    ) {
      const after = decodeCursor(query.cursor);
      const rows = await db
        .selectFrom("events")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .$if(after !== undefined, (q) => q.where("id", "<", after as string))
        .$if(query.status !== undefined, (q) => q.where("status", "=", query.status as EventStatus))
        .$if(Boolean(query.q), (q) => q.where(sql<boolean>`position(lower(${query.q}) in lower(title)) > 0`))
        .orderBy("id", "desc")
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit);
    },

    async update(organizationId: string, id: string, input: UpdateEventInput) {
      return db.transaction().execute(async (trx) => {
        const current = await lock(trx, organizationId, id);
        if (current.status === "cancelled")
          throw conflict("event_cancelled", "A cancelled event cannot be changed");
        const zone = input.timeZone ?? current.time_zone;
        const startsAt = input.startsAt ? resolveField(input.startsAt, zone, "startsAt") : current.starts_at;
        const endsAt = input.endsAt ? resolveField(input.endsAt, zone, "endsAt") : current.ends_at;
        assertOrdered(startsAt, endsAt, "endsAt");
        const opens =
          input.registrationOpensAt === undefined
            ? current.registration_opens_at
            : input.registrationOpensAt &&
              resolveField(input.registrationOpensAt, zone, "registrationOpensAt");
        const closes =
          input.registrationClosesAt === undefined
            ? current.registration_closes_at
            : input.registrationClosesAt &&
              resolveField(input.registrationClosesAt, zone, "registrationClosesAt");
        if (opens && closes) assertOrdered(opens, closes, "registrationClosesAt");
        try {
          return await trx
            .updateTable("events")
            .set({
              ...(input.title !== undefined && { title: input.title }),
              ...(input.description !== undefined && { description: input.description }),
              ...(input.format !== undefined && { format: input.format }),
              ...(input.language !== undefined && { language: input.language }),
              ...(input.capacity !== undefined && { capacity: input.capacity }),
              ...(input.slug !== undefined && { slug: input.slug }),
              ...(input.consentText !== undefined && { consent_text: input.consentText }),
              ...(input.registrationFields !== undefined && {
                registration_fields: JSON.stringify(input.registrationFields),
              }),
              time_zone: zone,
              starts_at: startsAt,
              ends_at: endsAt,
              registration_opens_at: opens ?? null,
              registration_closes_at: closes ?? null,
              updated_at: new Date(),
            })
            .where("id", "=", id)
            .returningAll()
            .executeTakeFirstOrThrow();
        } catch (error) {
          if ((error as { code?: string }).code === "23505")
            throw conflict("slug_taken", "This slug is already in use", "slug");
          throw error;
        }
      });
    },

    async setStatus(organizationId: string, id: string, status: EventStatus) {
      return db.transaction().execute(async (trx) => {
        const current = await lock(trx, organizationId, id);
        if (current.status === status) return current;
        if (!ALLOWED_TRANSITIONS[current.status].includes(status)) {
          throw conflict("invalid_status_change", `A ${current.status} event cannot become ${status}`);
        }
        return trx
          .updateTable("events")
          .set({ status, updated_at: new Date() })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
      });
    },

    /** Only drafts are deleted; a published event is cancelled instead, so registrants keep a record. */
    async remove(organizationId: string, id: string) {
      const current = await get(organizationId, id);
      if (current.status !== "draft")
        throw conflict("not_draft", "Only a draft event can be deleted; cancel it instead");
      await db.deleteFrom("events").where("id", "=", id).execute();
    },

    getSession,

    async listSessions(organizationId: string, eventId: string) {
      const event = await get(organizationId, eventId);
      const rows = await db
        .selectFrom("event_sessions")
        .selectAll()
        .where("event_id", "=", eventId)
        .orderBy("starts_at")
        .orderBy("id")
        .execute();
      return { event, rows };
    },

    async createSession(organizationId: string, eventId: string, input: CreateSessionInput) {
      const event = await get(organizationId, eventId);
      const startsAt = resolveField(input.startsAt, event.time_zone, "startsAt");
      const endsAt = resolveField(input.endsAt, event.time_zone, "endsAt");
      assertOrdered(startsAt, endsAt, "endsAt");
      const row = await db
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
          updated_at: new Date(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { event, row };
    },

    async updateSession(
      organizationId: string,
      eventId: string,
      sessionId: string,
      input: UpdateSessionInput,
    ) {
      const event = await get(organizationId, eventId);
      const current = await getSession(organizationId, eventId, sessionId);
      const startsAt = input.startsAt
        ? resolveField(input.startsAt, event.time_zone, "startsAt")
        : current.starts_at;
      const endsAt = input.endsAt ? resolveField(input.endsAt, event.time_zone, "endsAt") : current.ends_at;
      assertOrdered(startsAt, endsAt, "endsAt");
      const row = await db
        .updateTable("event_sessions")
        .set({
          ...(input.title !== undefined && { title: input.title }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.format !== undefined && { format: input.format }),
          starts_at: startsAt,
          ends_at: endsAt,
          updated_at: new Date(),
        })
        .where("id", "=", sessionId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { event, row };
    },

    async removeSession(organizationId: string, eventId: string, sessionId: string) {
      await getSession(organizationId, eventId, sessionId);
      await db.deleteFrom("event_sessions").where("id", "=", sessionId).execute();
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
