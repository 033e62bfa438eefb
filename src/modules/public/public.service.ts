import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import { notFound } from "../../lib/errors.ts";
import { hashToken } from "../../lib/ids.ts";
import type { JoinLinkOf } from "../registrations/registrant-notices.ts";
import type { joinLinksOf } from "../webinars/registration-webinars.ts";

/**
 * What the public pages read: a published event by its slug, and a registration by the secret
 * from its confirmation. Nothing here writes; registering and cancelling are the registration
 * service's.
 */
export function createPublicService(deps: {
  db: Db;
  joinLinkOf: JoinLinkOf;
  joinLinksOf: typeof joinLinksOf;
}) {
  const { db } = deps;

  async function publishedEvent(slug: string) {
    const event = await db
      .selectFrom("events")
      .selectAll()
      .where("slug", "=", slug)
      .where("status", "=", "published")
      .executeTakeFirst();
    if (!event) throw notFound("Event");
    return event;
  }

  return {
    publishedEvent,

    /** The event with its sessions, and whether its places are taken (never how many there are). */
    async eventPage(slug: string) {
      const event = await publishedEvent(slug);
      const registered =
        event.capacity === null
          ? 0
          : (
              await db
                .selectFrom("registrations")
                .select(sql<number>`count(*)::int`.as("n"))
                .where("event_id", "=", event.id)
                .where("status", "=", "registered")
                .executeTakeFirstOrThrow()
            ).n;
      const sessions = await db
        .selectFrom("event_sessions")
        .selectAll()
        .where("event_id", "=", event.id)
        .orderBy("starts_at")
        .execute();
      return { event, full: event.capacity !== null && registered >= event.capacity, sessions };
    },

    /** The registration a page secret belongs to, with what its pages show of the event. */
    async registrationByToken(token: string) {
      const row = await db
        .selectFrom("registrations as r")
        .innerJoin("contacts as c", "c.id", "r.contact_id")
        .innerJoin("events as e", "e.id", "r.event_id")
        .select([
          "r.id",
          "r.status",
          "r.created_at",
          "c.first_name",
          "e.id as event_id",
          "e.title",
          "e.description",
          "e.slug",
          "e.starts_at",
          "e.ends_at",
          "e.time_zone",
          "e.format",
          "e.status as event_status",
          "e.calendar_sequence",
        ])
        .where("r.cancel_token_hash", "=", hashToken(token))
        .executeTakeFirst();
      if (!row) throw notFound("Registration");
      return row;
    },

    /** The registrant's join link (the webinar module's one rule). */
    joinLink: (registration: { id: string; status: string }) => deps.joinLinkOf(db, registration),
    /** Every join link of the registrant, one per webinar they may attend (same rule). */
    joinLinks: (registration: { id: string; status: string }) => deps.joinLinksOf(db, registration),
  };
}

export type PublicService = ReturnType<typeof createPublicService>;
