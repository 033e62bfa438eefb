import type { ExpressionBuilder, Kysely } from "kysely";
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
 * A registrant's join link: the personal link once a provider issued it, else the audience
 * URL of a provisioned webinar; the event-level webinar first, then the sessions in order.
 * Only someone holding a place gets a link.
 */
export async function joinLinkOf(
  db: Kysely<Database>,
  registration: { id: string; status: string },
): Promise<string | null> {
  if (registration.status !== "registered") return null;
  const rows = await db
    .selectFrom("registrations as r")
    .innerJoin("webinars as w", (j) =>
      j.onRef("w.event_id", "=", "r.event_id").on("w.desired", "=", "active"),
    )
    .leftJoin("registration_syncs as s", (j) =>
      j.onRef("s.webinar_id", "=", "w.id").onRef("s.registration_id", "=", "r.id"),
    )
    .leftJoin("event_sessions as es", "es.id", "w.session_id")
    .select(["w.join_url as audience_url", "w.state as webinar_state", "s.join_url", "s.state"])
    .where("r.id", "=", registration.id)
    .where(webinarOfRegistration)
    .orderBy("es.starts_at", (o) => o.asc().nullsFirst())
    .orderBy("w.id")
    .execute();
  const personal = rows.find((w) => w.state === "synced" && w.join_url);
  if (personal?.join_url) return personal.join_url;
  return rows.find((w) => w.webinar_state === "provisioned" && w.audience_url)?.audience_url ?? null;
}
