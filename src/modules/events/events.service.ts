import { randomBytes } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database, EventRow, EventStatus, NewEvent, SessionRow } from "../../db/schema.ts";
import { conflict, notFound, unprocessable } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import { instantToLocal, NonexistentLocalTimeError, resolveDateTime } from "../../lib/time.ts";
import type { CreateEventInput, UpdateEventInput } from "./events.schemas.ts";
import { parseQuestions } from "./registration-questions.ts";
import { createWebinarTypeCheck, type WebinarTypesOf } from "./webinar-types.ts";

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
    registrationQuestions: e.registration_questions,
    consentText: e.consent_text,
    webinarConfigurationId: e.webinar_configuration_id,
    webinarType: e.webinar_type,
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
    webinarConfigurationId: s.webinar_configuration_id,
    webinarType: s.webinar_type,
    createdAt: s.created_at.toISOString(),
    updatedAt: s.updated_at.toISOString(),
  };
}

/** Resolves an input time in a zone, turning a nonexistent wall-clock time into a 422 naming the field. */
export function resolveField(value: string, timeZone: string, field: string): Date {
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

export function assertOrdered(start: Date, end: Date, field: string) {
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

/**
 * What the webinar integration needs to hear about, called inside the writing transaction:
 * `validate` checks a chosen webinar configuration; `changed` plans the provider work.
 */
export interface EventHooks {
  validateWebinarConfiguration(
    trx: Transaction<Database>,
    organizationId: string,
    configurationId: string,
  ): Promise<void>;
  eventChanged(trx: Transaction<Database>, event: EventRow): Promise<void>;
  sessionChanged(trx: Transaction<Database>, session: SessionRow, event: EventRow): Promise<void>;
  /** Refuses deleting what still has a live webinar at a provider. */
  assertNoLiveWebinar(
    trx: Transaction<Database>,
    where: { eventId: string; sessionId?: string },
  ): Promise<void>;
}

export function createEventService(deps: { db: Db; hooks: EventHooks; webinarTypes: WebinarTypesOf }) {
  const { db, hooks } = deps;

  const assertWebinarType = createWebinarTypeCheck(deps.webinarTypes);

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

  /** A chosen slug that is taken is the caller's conflict; a generated one that collides is redrawn. */
  async function insertWithSlug(
    configurationId: string | null,
    values: NewEvent,
    title: string,
    explicitSlug: boolean,
  ) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await db.transaction().execute(async (trx) => {
          if (configurationId)
            await hooks.validateWebinarConfiguration(trx, values.organization_id, configurationId);
          await assertWebinarType(trx, values.organization_id, configurationId, values.webinar_type ?? null);
          const event = await trx
            .insertInto("events")
            .values(values)
            .returningAll()
            .executeTakeFirstOrThrow();
          await hooks.eventChanged(trx, event);
          return event;
        });
      } catch (error) {
        if ((error as { code?: string }).code !== "23505") throw error;
        if (explicitSlug) throw conflict("slug_taken", "This slug is already in use", "slug");
        if (attempt >= 4) throw error;
        values = { ...values, slug: newSlug(title) };
      }
    }
  }

  /** Sessions belong to the event; a cancelled event is read-only, sessions included. */
  async function lockWritable(trx: Transaction<Database>, organizationId: string, eventId: string) {
    const event = await lock(trx, organizationId, eventId);
    if (event.status === "cancelled")
      throw conflict("event_cancelled", "A cancelled event cannot be changed");
    return event;
  }

  return {
    get,
    lock,
    assertWebinarType,

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
      const questions = parseQuestions(input.registrationQuestions);
      return insertWithSlug(
        input.webinarConfigurationId ?? null,
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
          registration_questions: JSON.stringify(questions),
          consent_text: input.consentText,
          webinar_configuration_id: input.webinarConfigurationId ?? null,
          webinar_type: input.webinarType ?? null,
          updated_at: new Date(),
        },
        input.title,
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

    /**
     * `onCapacityChanged` runs in the same transaction with the event still locked, so a
     * freed place goes to the waitlist before any new registration can take it.
     */
    async update(
      organizationId: string,
      id: string,
      input: UpdateEventInput,
      onCapacityChanged?: (trx: Transaction<Database>, event: EventRow) => Promise<unknown>,
    ) {
      return db.transaction().execute(async (trx) => {
        const current = await lockWritable(trx, organizationId, id);
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
        const questions = input.registrationQuestions && parseQuestions(input.registrationQuestions);
        if (input.webinarConfigurationId) {
          await hooks.validateWebinarConfiguration(trx, organizationId, input.webinarConfigurationId);
        }
        if (input.webinarConfigurationId !== undefined || input.webinarType !== undefined) {
          await assertWebinarType(
            trx,
            organizationId,
            input.webinarConfigurationId === undefined
              ? current.webinar_configuration_id
              : input.webinarConfigurationId,
            input.webinarType === undefined ? current.webinar_type : input.webinarType,
          );
        }
        let updated: EventRow;
        try {
          updated = await trx
            .updateTable("events")
            .set({
              ...(input.title !== undefined && { title: input.title }),
              ...(input.description !== undefined && { description: input.description }),
              ...(input.format !== undefined && { format: input.format }),
              ...(input.language !== undefined && { language: input.language }),
              ...(input.capacity !== undefined && { capacity: input.capacity }),
              ...(input.slug !== undefined && { slug: input.slug }),
              ...(input.consentText !== undefined && { consent_text: input.consentText }),
              ...(input.webinarConfigurationId !== undefined && {
                webinar_configuration_id: input.webinarConfigurationId,
              }),
              ...(input.webinarType !== undefined && { webinar_type: input.webinarType }),
              ...(input.registrationFields !== undefined && {
                registration_fields: JSON.stringify(input.registrationFields),
              }),
              ...(questions && { registration_questions: JSON.stringify(questions) }),
              time_zone: zone,
              starts_at: startsAt,
              ends_at: endsAt,
              registration_opens_at: opens ?? null,
              registration_closes_at: closes ?? null,
              updated_at: new Date(),
            })
            .where("organization_id", "=", organizationId)
            .where("id", "=", id)
            .returningAll()
            .executeTakeFirstOrThrow();
        } catch (error) {
          if ((error as { code?: string }).code === "23505")
            throw conflict("slug_taken", "This slug is already in use", "slug");
          throw error;
        }
        if (input.capacity !== undefined && onCapacityChanged) await onCapacityChanged(trx, updated);
        await hooks.eventChanged(trx, updated);
        return updated;
      });
    },

    async setStatus(organizationId: string, id: string, status: EventStatus) {
      return db.transaction().execute(async (trx) => {
        const current = await lock(trx, organizationId, id);
        if (current.status === status) return current;
        if (!ALLOWED_TRANSITIONS[current.status].includes(status)) {
          throw conflict("invalid_status_change", `A ${current.status} event cannot become ${status}`);
        }
        const updated = await trx
          .updateTable("events")
          .set({ status, updated_at: new Date() })
          .where("organization_id", "=", organizationId)
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await hooks.eventChanged(trx, updated);
        return updated;
      });
    },

    /** Only drafts are deleted; a published event is cancelled instead, so registrants keep a record. */
    async remove(organizationId: string, id: string) {
      // Locked, so a publish racing the delete cannot slip in between check and delete.
      const deleted = await db.transaction().execute(async (trx) => {
        const event = await trx
          .selectFrom("events")
          .select("status")
          .where("organization_id", "=", organizationId)
          .where("id", "=", id)
          .forUpdate()
          .executeTakeFirst();
        if (event?.status !== "draft") return false;
        await hooks.assertNoLiveWebinar(trx, { eventId: id });
        await trx.deleteFrom("events").where("id", "=", id).execute();
        return true;
      });
      if (deleted) return;
      await get(organizationId, id);
      throw conflict("not_draft", "Only a draft event can be deleted; cancel it instead");
    },

    lockWritable,
  };
}

export type EventService = ReturnType<typeof createEventService>;
