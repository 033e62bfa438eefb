import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { ContactMatching, Database, EventRow } from "../../db/schema.ts";
import { conflict } from "../../lib/errors.ts";
import { hashToken, newSecretToken } from "../../lib/ids.ts";
import type { EventService } from "../events/events.service.ts";
import { type EmitWebhookEvent, type SubscribedEndpoint, subscribedEndpoints } from "../webhooks-out/emit.ts";
import type { RegistrantNotices } from "./registrant-notices.ts";

type Trx = Transaction<Database>;

/**
 * Places at an event: the locks registering takes, counting places, and moving waitlisted
 * registrations up. Capacity decisions take the event row lock, so two registrations for
 * the last place cannot both get it; a freed place goes to the oldest waitlisted
 * registration in the same transaction that freed it. Shared by registering, cancelling
 * and confirming a double opt-in.
 */
export function createPlaces(deps: {
  events: Pick<EventService, "lock">;
  registrationsChanged: (trx: Trx, registrationIds: string[]) => Promise<void>;
  notices: Pick<RegistrantNotices, "promoted">;
  emitWebhookEvent: EmitWebhookEvent;
}) {
  const { events, registrationsChanged, notices, emitWebhookEvent } = deps;

  /** Registered places, and whether anyone waits for one: one statement. Call with the event locked. */
  async function placesOf(trx: Trx, eventId: string) {
    const row = await trx
      .selectFrom("registrations")
      .select((eb) => [
        sql<number>`count(*)::int`.as("registered"),
        eb
          .exists(
            eb
              .selectFrom("registrations as w")
              .select("w.id")
              .where("w.event_id", "=", eventId)
              .where("w.status", "=", "waitlisted"),
          )
          .as("waiting"),
      ])
      .where("event_id", "=", eventId)
      .where("status", "=", "registered")
      .executeTakeFirstOrThrow();
    return row;
  }

  /** Moves up to `free` of the oldest waitlisted registrations into places. Call with the event locked. */
  async function promote(trx: Trx, eventId: string, free: number): Promise<string[]> {
    const promoted = await trx
      .selectFrom("registrations")
      .select(["id", "cancel_token_hash", "organization_id", "contact_id"])
      .where("event_id", "=", eventId)
      .where("status", "=", "waitlisted")
      .orderBy("created_at")
      .orderBy("id")
      .limit(Math.min(free, 10_000))
      .execute();
    if (promoted.length === 0) return [];
    const ids = promoted.map((p) => p.id);
    await trx
      .updateTable("registrations")
      .set({ status: "registered", updated_at: new Date() })
      .where("id", "in", ids)
      .execute();
    await registrationsChanged(trx, ids);
    // A promotion confirms the place (docs/webhooks-out.md, registration.confirmed).
    await emitWebhookEvent(
      trx,
      (promoted[0] as (typeof promoted)[number]).organization_id,
      "registration.confirmed",
      promoted.map((p) => ({
        registrationId: p.id,
        eventId,
        contactId: p.contact_id,
        status: "registered",
        previousStatus: "waitlisted",
      })),
    );
    // Public registrants hear of their place by email, with a fresh page link (their token
    // is stored hashed, so the message cannot repeat the old one; the old link stops working).
    for (const p of promoted.filter((r) => r.cancel_token_hash !== null)) {
      const pageToken = newSecretToken();
      await trx
        .updateTable("registrations")
        .set({ cancel_token_hash: hashToken(pageToken) })
        .where("id", "=", p.id)
        .execute();
      await notices.promoted(trx, { registrationId: p.id, pageToken });
    }
    return ids;
  }

  /** Moves the oldest waitlisted registrations into free places. Call with the event locked. */
  async function fillFromWaitlist(trx: Trx, event: EventRow): Promise<string[]> {
    if (event.capacity === null) return promote(trx, event.id, Number.MAX_SAFE_INTEGER);
    const places = await placesOf(trx, event.id);
    const free = event.capacity - places.registered;
    if (free <= 0 || !places.waiting) return [];
    return promote(trx, event.id, free);
  }

  /**
   * An event without a capacity has no places to count, so registrations need not queue
   * behind each other: a shared lock keeps the event from being cancelled or given a
   * capacity meanwhile, and the unique index on active registrations still refuses a
   * person twice. With a capacity, the exclusive lock serializes the counting.
   *
   * One statement (`lockedRead`) takes the lock the row's capacity asks for and reads, with
   * it, what registering needs from the organization: its contact matching rule, its privacy
   * salt (the erasure check's hash) and its endpoints for `registration.created`. For an uncapped event it also reads whether
   * anyone waits. `waiting` is exact: waitlisted rows are only written under the exclusive
   * lock of a capped event, and removing the capacity refills the waitlist in the same
   * transaction, so whatever that left behind was committed before our read. With a
   * capacity, `waiting` is read with the count, after the lock (null here).
   *
   * Only when the capacity changes while the statement waits for the lock (its row no longer
   * matches the lock it chose, so it returns nothing) or the event does not exist does it
   * fall back to the two reads below, which tell these apart.
   */
  async function lockForRegistration(trx: Trx, organizationId: string, eventId: string) {
    const read = await lockedRead(trx, organizationId, eventId);
    if (read) {
      const { contact_matching, hash_salt, created_endpoints, waiting, ...event } = read;
      return {
        event: event as EventRow,
        rule: contact_matching,
        waiting: event.capacity === null ? Boolean(waiting) : null,
        salt: hash_salt,
        createdEndpoints: created_endpoints as SubscribedEndpoint[] | undefined,
      };
    }
    return {
      ...(await lockInTwoReads(trx, organizationId, eventId)),
      salt: undefined,
      createdEndpoints: undefined,
    };
  }

  /**
   * The event row, locked shared when it has no capacity and exclusively when it has one,
   * in one statement: each CTE locks only a row that matches its condition, and a row that
   * changed while waiting for the lock is checked again against it (PostgreSQL's re-check of
   * a locked row under READ COMMITTED), so the lock taken is the one the row's capacity asks
   * for; a row that no longer matches is neither returned nor locked.
   */
  async function lockedRead(trx: Trx, organizationId: string, eventId: string) {
    const result = await sql<
      EventRow & {
        contact_matching: ContactMatching;
        hash_salt: string | null;
        created_endpoints: SubscribedEndpoint[];
        waiting: boolean;
      }
    >`
      with shared as (
        select * from events
        where organization_id = ${organizationId} and id = ${eventId} and capacity is null
        for share
      ), exclusive as (
        select * from events
        where organization_id = ${organizationId} and id = ${eventId} and capacity is not null
        for update
      ), locked as (
        select * from shared union all select * from exclusive
      )
      select locked.*,
        (select contact_matching from organizations where id = ${organizationId}) as contact_matching,
        (select hash_salt from privacy_settings where organization_id = ${organizationId}) as hash_salt,
        ${subscribedEndpoints(organizationId, "registration.created")} as created_endpoints,
        locked.capacity is null and exists (
          select 1 from registrations where event_id = ${eventId} and status = 'waitlisted'
        ) as waiting
      from locked`.execute(trx);
    return result.rows[0];
  }

  /** The earlier way: a glance at the capacity, then the lock it asks for (with a capacity set in between: a conflict). */
  async function lockInTwoReads(trx: Trx, organizationId: string, eventId: string) {
    const glance = await trx
      .selectFrom("events")
      .select((eb) => [
        "capacity",
        eb
          .selectFrom("organizations")
          .select("contact_matching")
          .where("id", "=", organizationId)
          .as("contact_matching"),
      ])
      .where("organization_id", "=", organizationId)
      .where("id", "=", eventId)
      .executeTakeFirst();
    const rule = glance?.contact_matching ?? null;
    if (glance && glance.capacity === null) {
      const shared = await trx
        .selectFrom("events")
        .selectAll()
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom("registrations")
                .select("id")
                .where("event_id", "=", eventId)
                .where("status", "=", "waitlisted"),
            )
            .as("waiting"),
        )
        .where("organization_id", "=", organizationId)
        .where("id", "=", eventId)
        .forShare()
        .executeTakeFirst();
      if (shared?.capacity === null) {
        const { waiting, ...event } = shared;
        return { event: event as EventRow, rule, waiting: Boolean(waiting) };
      }
      // A capacity was set between the two reads: counting needs the exclusive lock, and
      // taking it while holding a shared one could deadlock with another registration.
      if (shared) throw conflict("event_changed", "The event changed while registering; try again");
    }
    // With a capacity, `waiting` is read with the count, after the lock.
    return { event: await events.lock(trx, organizationId, eventId), rule, waiting: null };
  }

  /**
   * How many newcomers get a place (the rest are waitlisted); Infinity without a capacity.
   * Anyone already waiting gets a free place before a newcomer can take it; under the
   * exclusive lock nobody else changes the count, so promoted places add to it. Call with the
   * event locked (`waiting` as `lockForRegistration` gave it; null for a capped event).
   */
  async function freePlaces(trx: Trx, event: EventRow, waiting: boolean | null): Promise<number> {
    if (event.capacity === null) {
      if (waiting !== false) await promote(trx, event.id, Number.MAX_SAFE_INTEGER);
      return Number.POSITIVE_INFINITY;
    }
    const places = await placesOf(trx, event.id);
    let taken = places.registered;
    if (places.waiting && taken < event.capacity)
      taken += (await promote(trx, event.id, event.capacity - taken)).length;
    return Math.max(0, event.capacity - taken);
  }

  /** Whether someone new gets a place or a waitlist spot (`freePlaces` for one). */
  async function statusForNewcomer(trx: Trx, event: EventRow, waiting: boolean | null) {
    return (await freePlaces(trx, event, waiting)) > 0 ? ("registered" as const) : ("waitlisted" as const);
  }

  return { placesOf, promote, fillFromWaitlist, lockForRegistration, freePlaces, statusForNewcomer };
}

export type Places = ReturnType<typeof createPlaces>;

/**
 * What moving one registration into or out of a place needs (double-opt-in.ts,
 * registrations.cancel.ts): the parts of places `P` and the notices `N` it uses.
 */
export interface PlaceChangeDeps<P extends keyof Places, N extends keyof RegistrantNotices> {
  db: Db;
  events: Pick<EventService, "lock">;
  places: Pick<Places, P>;
  notices: Pick<RegistrantNotices, N>;
  registrationsChanged: (trx: Trx, registrationIds: string[]) => Promise<void>;
  emitWebhookEvent: EmitWebhookEvent;
}
