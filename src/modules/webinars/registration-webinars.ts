import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "../../db/schema.ts";

/**
 * The one rule of which webinars a registration belongs to, as a condition on a join of
 * registrations `r` and webinars `w`: the event's own webinar, plus the webinars of the
 * sessions it chose — or of every session when it chose none. The sync planner, the backfill
 * after a webinar is provisioned and the registrant's join link all use this; a copy of it
 * once drifted and hid the join link from people who chose no session.
 */
export function webinarOfRegistration(
  eb: ExpressionBuilder<
    { r: Database["registrations"]; w: Database["webinars"] } & Pick<Database, "registration_sessions">,
    "r" | "w"
  >,
) {
  const chosen = () =>
    eb
      .selectFrom("registration_sessions as rs")
      .select("rs.session_id")
      .whereRef("rs.registration_id", "=", "r.id");
  return eb.or([
    eb("w.session_id", "is", null),
    eb.not(eb.exists(chosen())),
    eb.exists(chosen().whereRef("rs.session_id", "=", "w.session_id")),
  ]);
}

/**
 * The same rule seen from one session (raw SQL, for the dashboard's aggregate queries): the
 * registration chose that session, or chose none. So a session's dashboard counts exactly the
 * people its webinar was sent.
 */
export function registrationInSession(registrationId: RawBuilder<unknown>, sessionId: string) {
  return sql<boolean>`(not exists (select 1 from registration_sessions rs
      where rs.registration_id = ${registrationId})
    or exists (select 1 from registration_sessions rs
      where rs.registration_id = ${registrationId} and rs.session_id = ${sessionId}))`;
}

/** One webinar a registrant may join: which session it is (null: the whole event) and its link. */
export interface JoinLink {
  webinarId: string;
  sessionId: string | null;
  sessionTitle: string | null;
  joinUrl: string;
}

/**
 * Every join link of a registrant, one per webinar they belong to (webinarOfRegistration):
 * per webinar the personal link once the provider issued it, else the audience URL of the
 * provisioned webinar; the event-level webinar first, then the sessions in order. So someone
 * who chose no session of an event with two webinar sessions has both links. Only someone
 * holding a place gets links.
 */
export async function joinLinksOf(
  db: Kysely<Database>,
  registration: { id: string; status: string },
): Promise<JoinLink[]> {
  if (registration.status !== "registered") return [];
  const rows = await db
    .selectFrom("registrations as r")
    .innerJoin("webinars as w", (j) =>
      j.onRef("w.event_id", "=", "r.event_id").on("w.desired", "=", "active"),
    )
    .leftJoin("registration_syncs as s", (j) =>
      j.onRef("s.webinar_id", "=", "w.id").onRef("s.registration_id", "=", "r.id"),
    )
    .leftJoin("event_sessions as es", "es.id", "w.session_id")
    .select([
      "w.id as webinar_id",
      "w.session_id",
      "es.title as session_title",
      "w.join_url as audience_url",
      "w.state as webinar_state",
      "s.join_url",
      "s.state",
    ])
    .where("r.id", "=", registration.id)
    .where(webinarOfRegistration)
    .orderBy("es.starts_at", (o) => o.asc().nullsFirst())
    .orderBy("w.id")
    .execute();
  return rows.flatMap((w) => {
    const joinUrl =
      w.state === "synced" && w.join_url
        ? w.join_url
        : w.webinar_state === "provisioned"
          ? w.audience_url
          : null;
    if (!joinUrl) return [];
    return [{ webinarId: w.webinar_id, sessionId: w.session_id, sessionTitle: w.session_title, joinUrl }];
  });
}

/**
 * A registrant's one join link, where a message has room for one (reminders, notices): the
 * first of joinLinksOf.
 */
export async function joinLinkOf(
  db: Kysely<Database>,
  registration: { id: string; status: string },
): Promise<string | null> {
  return (await joinLinksOf(db, registration))[0]?.joinUrl ?? null;
}

/**
 * The recording or on-demand link a registrant is sent after the event (the follow-up email):
 * of the webinars they belong to, by the same rule, the first with a link from its provider
 * that has not run out — the event-level webinar first, then the sessions in order.
 */
export async function recordingLinkOf(
  db: Kysely<Database>,
  registration: { id: string },
): Promise<string | null> {
  const row = await db
    .selectFrom("registrations as r")
    .innerJoin("webinars as w", (j) => j.onRef("w.event_id", "=", "r.event_id"))
    .leftJoin("event_sessions as es", "es.id", "w.session_id")
    .select("w.recording_url")
    .where("r.id", "=", registration.id)
    .where(webinarOfRegistration)
    .where("w.recording_url", "is not", null)
    .where((eb) =>
      eb.or([
        eb("w.recording_available_until", "is", null),
        eb("w.recording_available_until", ">", new Date()),
      ]),
    )
    .orderBy("es.starts_at", (o) => o.asc().nullsFirst())
    .orderBy("w.id")
    .executeTakeFirst();
  return row?.recording_url ?? null;
}
