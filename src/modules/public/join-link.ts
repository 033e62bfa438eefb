import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";

type Executor = Db | Transaction<Database>;

/**
 * The personal link once the provider issued it, else the webinar's audience URL once it
 * is provisioned; the event-level webinar first, then the registrant's sessions in order.
 * Only someone holding a place gets a link.
 */
export async function personalJoinUrl(
  db: Executor,
  reg: { id: string; event_id: string; status: string },
): Promise<string | null> {
  if (reg.status !== "registered") return null;
  const rows = await db
    .selectFrom("webinars as w")
    .leftJoin("registration_syncs as s", (j) =>
      j.onRef("s.webinar_id", "=", "w.id").on("s.registration_id", "=", reg.id),
    )
    .leftJoin("event_sessions as es", "es.id", "w.session_id")
    .select(["w.join_url as audience_url", "w.state as webinar_state", "s.join_url", "s.state"])
    .where("w.event_id", "=", reg.event_id)
    .where("w.desired", "=", "active")
    .where((eb) =>
      eb.or([
        eb("w.session_id", "is", null),
        eb(
          "w.session_id",
          "in",
          eb.selectFrom("registration_sessions").select("session_id").where("registration_id", "=", reg.id),
        ),
      ]),
    )
    .orderBy("es.starts_at", (o) => o.asc().nullsFirst())
    .orderBy("w.id")
    .execute();
  const personal = rows.find((w) => w.state === "synced" && w.join_url);
  if (personal?.join_url) return personal.join_url;
  return rows.find((w) => w.webinar_state === "provisioned" && w.audience_url)?.audience_url ?? null;
}
