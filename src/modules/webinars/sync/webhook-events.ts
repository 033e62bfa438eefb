import { sql, type Transaction } from "kysely";
import type { Database } from "../../../db/schema.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";

type Trx = Transaction<Database>;

/** Tests that drive the sync engine alone have no outgoing webhooks. */
export const NO_WEBHOOKS: EmitWebhookEvent = async () => {};

/**
 * `registration.synced` / `registration.sync_failed` for registrations at one webinar, in
 * the transaction that stores the outcome. Ids and the provider's registrant id only: a
 * provider's error text can quote what it was sent, so no reason travels.
 */
export async function emitSyncOutcome(
  trx: Trx,
  emit: EmitWebhookEvent,
  type: "registration.synced" | "registration.sync_failed",
  webinarId: string,
  registrationIds: string[],
) {
  if (registrationIds.length === 0) return;
  const rows = await trx
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .innerJoin("webinar_configurations as c", "c.id", "s.configuration_id")
    .select([
      "r.id",
      "r.organization_id",
      "r.event_id",
      "r.contact_id",
      "c.provider",
      "s.provider_registrant_id",
      "s.attempts",
    ])
    .where("s.webinar_id", "=", webinarId)
    .where("s.registration_id", "in", registrationIds)
    .orderBy("r.id")
    .execute();
  const organizationId = rows[0]?.organization_id;
  if (!organizationId) return;
  await emit(
    trx,
    organizationId,
    type,
    rows.map((r) => ({
      registrationId: r.id,
      eventId: r.event_id,
      contactId: r.contact_id,
      webinarId,
      provider: r.provider,
      ...(type === "registration.synced"
        ? { providerRegistrantId: r.provider_registrant_id }
        : { attempts: r.attempts }),
    })),
  );
}

/** `webinar.provisioned`, in the transaction that stores the provider's webinar id. */
export async function emitProvisioned(trx: Trx, emit: EmitWebhookEvent, webinarId: string) {
  const w = await trx
    .selectFrom("webinars as w")
    .innerJoin("webinar_configurations as c", "c.id", "w.configuration_id")
    .select(["w.organization_id", "w.event_id", "w.session_id", "w.provider_webinar_id", "c.provider"])
    .where("w.id", "=", webinarId)
    .executeTakeFirst();
  if (!w) return;
  await emit(trx, w.organization_id, "webinar.provisioned", {
    webinarId,
    eventId: w.event_id,
    sessionId: w.session_id,
    provider: w.provider,
    providerWebinarId: w.provider_webinar_id,
  });
}

/**
 * `webinar.ended`: once, after the first attendance poll that ran past the webinar's scheduled
 * end, in the transaction that marks it — so the attendance it reports is stored.
 */
export async function markEndedOnce(trx: Trx, emit: EmitWebhookEvent, webinarId: string, endsAt: Date) {
  const marked = await trx
    .updateTable("webinars")
    .set({ ended_notified_at: sql<Date>`now()` })
    .where("id", "=", webinarId)
    .where("ended_notified_at", "is", null)
    .where(sql<boolean>`${endsAt}::timestamptz <= now()`)
    .returning(["organization_id", "event_id", "session_id"])
    .executeTakeFirst();
  if (!marked) return;
  const counts = await trx
    .selectFrom("attendance")
    .select([
      sql<number>`count(*) FILTER (WHERE live_minutes > 0)::int`.as("liveAttendees"),
      sql<number>`count(*) FILTER (WHERE on_demand_minutes > 0)::int`.as("onDemandViewers"),
    ])
    .where("webinar_id", "=", webinarId)
    .executeTakeFirstOrThrow();
  await emit(trx, marked.organization_id, "webinar.ended", {
    webinarId,
    eventId: marked.event_id,
    sessionId: marked.session_id,
    endsAt: endsAt.toISOString(),
    liveAttendees: counts.liveAttendees,
    onDemandViewers: counts.onDemandViewers,
  });
}

export interface ChangedAttendance {
  registrationId: string;
  liveMinutes: number;
  onDemandMinutes: number;
  engagementScore: number | null;
  questionsAsked: number;
  pollsAnswered: number;
  firstActivityAt: Date | null;
  lastActivityAt: Date | null;
}

/** `attendance.updated` for each registration whose numbers changed, in the ingest's transaction. */
export async function emitAttendanceUpdated(
  trx: Trx,
  emit: EmitWebhookEvent,
  webinar: { id: string; organization_id: string; event_id: string; session_id: string | null },
  changed: ChangedAttendance[],
) {
  if (changed.length === 0) return;
  const people = await trx
    .selectFrom("registrations")
    .select(["id", "contact_id"])
    .where(
      "id",
      "in",
      changed.map((c) => c.registrationId),
    )
    .execute();
  const contactOf = new Map(people.map((p) => [p.id, p.contact_id]));
  await emit(
    trx,
    webinar.organization_id,
    "attendance.updated",
    changed.map((c) => ({
      registrationId: c.registrationId,
      contactId: contactOf.get(c.registrationId) as string,
      eventId: webinar.event_id,
      webinarId: webinar.id,
      sessionId: webinar.session_id,
      liveMinutes: c.liveMinutes,
      onDemandMinutes: c.onDemandMinutes,
      engagementScore: c.engagementScore === null ? null : Number(c.engagementScore),
      questionsAsked: c.questionsAsked,
      pollsAnswered: c.pollsAnswered,
      firstActivityAt: c.firstActivityAt ? new Date(c.firstActivityAt).toISOString() : null,
      lastActivityAt: c.lastActivityAt ? new Date(c.lastActivityAt).toISOString() : null,
    })),
  );
}
