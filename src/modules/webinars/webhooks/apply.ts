import { sql, type Transaction } from "kysely";
import type { Database } from "../../../db/schema.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import type { WebhookEvent } from "../../../providers/contract.ts";
import type { RegistrationService } from "../../registrations/registrations.service.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";
import { recordWebinarCheckIn } from "../sync/metrics-poll.ts";
import type { PeopleMatcher, WebinarRef } from "../sync/people.ts";
import { emitSyncOutcome } from "../sync/webhook-events.ts";

type Trx = Transaction<Database>;

/** Participant events arriving together fold into one early poll this long after the first. */
const EARLY_POLL_SECONDS = 5;

/**
 * Applies what a provider told us, inside the caller's transaction. Every change is
 * idempotent, so a delivery repeated by the provider changes nothing more:
 * - `registrant.upserted`: the person is known → their sync row is marked synced with the
 *   provider's id and personal link; unknown → added (source "provider") by the matching the
 *   metrics poll uses;
 * - `registrant.cancelled`: our registration is cancelled — the provider is where it changed,
 *   so nothing is sent back to it (other webinars of the registration follow as usual);
 * - `participant.joined` / `left`: live presence and "attended live" now, minutes on leave
 *   (only ever raised); an early `metrics.poll` follows, which stays the source of truth;
 * - `attendance.changed`: `metrics.poll` now.
 */
export function createWebhookApplier(deps: {
  queue: JobQueue;
  people: PeopleMatcher;
  registrations: Pick<RegistrationService, "cancelLocked">;
  /** Outgoing webhooks: registration.synced (the provider reports the registrant), .cancelled. */
  emitWebhookEvent: EmitWebhookEvent;
}) {
  const { queue, people, registrations, emitWebhookEvent } = deps;

  async function webinarOf(trx: Trx, configurationId: string, providerWebinarId: string) {
    return trx
      .selectFrom("webinars")
      .select(["id", "organization_id", "configuration_id", "event_id", "session_id", "join_url"])
      .where("configuration_id", "=", configurationId)
      .where("provider_webinar_id", "=", providerWebinarId)
      .where("desired", "=", "active")
      .executeTakeFirst();
  }

  /**
   * One early poll per webinar per slot, however many deliveries arrive: a burst of joins
   * makes one poll. Early polls do not continue the regular schedule, so they cannot multiply it.
   */
  async function pollSoon(trx: Trx, webinarId: string, afterSeconds: number) {
    await queue.send(
      trx,
      "metrics.poll",
      { webinarId, early: true },
      {
        startAfterSeconds: afterSeconds,
        singletonKey: `metrics-early:${webinarId}`,
        singletonSeconds: EARLY_POLL_SECONDS,
      },
    );
  }

  async function upserted(
    trx: Trx,
    webinar: WebinarRef & { join_url: string | null },
    e: Extract<WebhookEvent, { type: "registrant.upserted" }>,
  ) {
    const [registrationId] = await people.matchOrAdd(trx, webinar, [e.registrant]);
    if (!registrationId) return;
    const reg = await trx
      .selectFrom("registrations")
      .select("status")
      .where("id", "=", registrationId)
      .executeTakeFirstOrThrow();
    // Our cancellation is on its way to the provider; a late "created" does not undo it.
    if (reg.status !== "registered") return;
    const before = await trx
      .selectFrom("registration_syncs")
      .select("state")
      .where("registration_id", "=", registrationId)
      .where("webinar_id", "=", webinar.id)
      .executeTakeFirst();
    const now = new Date();
    const values = {
      state: "synced" as const,
      provider_registrant_id: e.registrant.providerRegistrantId,
      join_url: e.registrant.joinUrl ?? webinar.join_url,
      last_error: null,
      synced_at: now,
      updated_at: now,
    };
    await trx
      .insertInto("registration_syncs")
      .values({
        registration_id: registrationId,
        webinar_id: webinar.id,
        organization_id: webinar.organization_id,
        configuration_id: webinar.configuration_id,
        ...values,
      })
      .onConflict((oc) =>
        oc
          .columns(["registration_id", "webinar_id"])
          .doUpdateSet(values)
          .where("registration_syncs.desired", "=", "registered"),
      )
      .execute();
    // A repeated report of a registrant we have synced is no news.
    if (before?.state !== "synced")
      await emitSyncOutcome(trx, emitWebhookEvent, "registration.synced", webinar.id, [registrationId]);
  }

  async function cancelled(
    trx: Trx,
    webinar: WebinarRef,
    e: Extract<WebhookEvent, { type: "registrant.cancelled" }>,
  ) {
    const [registrationId] = await people.match(trx, webinar, [e]);
    if (!registrationId) return;
    const reg = await trx
      .selectFrom("registrations")
      .select(["id", "status", "organization_id", "event_id", "contact_id", "cancel_token_hash"])
      .where("id", "=", registrationId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (reg.status === "cancelled") return;
    const now = new Date();
    // Done at this webinar already: the planner (called by the cancellation below) then leaves this row alone.
    await trx
      .updateTable("registration_syncs")
      .set({ desired: "cancelled", state: "cancelled", last_error: null, synced_at: now, updated_at: now })
      .where("registration_id", "=", reg.id)
      .where("webinar_id", "=", webinar.id)
      .execute();
    await registrations.cancelLocked(trx, reg, { byProvider: true });
    // If a registration of this row is in flight, its job finishes "synced"; this job then
    // sees desired "cancelled" and cancels (a no-op at a provider that already has).
    await queue.send(trx, "registration.sync", { registrationId: reg.id, webinarId: webinar.id });
  }

  async function participant(
    trx: Trx,
    webinar: WebinarRef,
    e: Extract<WebhookEvent, { type: "participant.joined" | "participant.left" }>,
  ) {
    const [first, ...rest] = (e.name ?? "").trim().split(/\s+/);
    const [registrationId] = await people.matchOrAdd(trx, webinar, [
      { ...e, firstName: first || null, lastName: rest.join(" ") || null },
    ]);
    if (!registrationId) return;
    const key = { registration_id: registrationId, webinar_id: webinar.id };
    // A walk-in belongs to this webinar from now on (the dashboard counts sync rows).
    await trx
      .insertInto("registration_syncs")
      .values({
        ...key,
        organization_id: webinar.organization_id,
        configuration_id: webinar.configuration_id,
        state: "synced",
        provider_registrant_id: e.providerRegistrantId,
        synced_at: e.at,
        updated_at: new Date(),
      })
      .onConflict((oc) => oc.columns(["registration_id", "webinar_id"]).doNothing())
      .execute();
    if (e.type === "participant.joined") {
      // A repeated "joined" keeps the first time; one from before the last leave is a replay.
      await trx
        .insertInto("webinar_presence")
        .values({ ...key, organization_id: webinar.organization_id, joined_at: e.at, updated_at: new Date() })
        .onConflict((oc) =>
          oc
            .columns(["registration_id", "webinar_id"])
            .doUpdateSet({
              joined_at: sql`coalesce(webinar_presence.joined_at, excluded.joined_at)`,
              updated_at: new Date(),
            })
            .where((eb) =>
              eb.or([eb("webinar_presence.left_at", "is", null), eb("webinar_presence.left_at", "<", e.at)]),
            ),
        )
        .execute();
    } else {
      // Only a "left" that closes an open stay adds its seconds; a repeated one finds none open.
      await trx
        .updateTable("webinar_presence")
        .set({
          live_seconds: sql`live_seconds + greatest(0, extract(epoch from (${e.at}::timestamptz - joined_at)))::int`,
          joined_at: null,
          left_at: e.at,
          updated_at: new Date(),
        })
        .where("registration_id", "=", registrationId)
        .where("webinar_id", "=", webinar.id)
        .where("joined_at", "is not", null)
        .where("joined_at", "<=", e.at)
        .execute();
    }
    const presence = await trx
      .selectFrom("webinar_presence")
      .select(["live_seconds", "joined_at"])
      .where("registration_id", "=", registrationId)
      .where("webinar_id", "=", webinar.id)
      .executeTakeFirst();
    // Someone in the room counts as attended live at once (at least a minute).
    const minutes = Math.max(1, Math.ceil((presence?.live_seconds ?? 0) / 60));
    const now = new Date();
    await trx
      .insertInto("attendance")
      .values({
        ...key,
        organization_id: webinar.organization_id,
        live_minutes: minutes,
        on_demand_minutes: 0,
        engagement_score: null,
        questions_asked: 0,
        polls_answered: 0,
        resources_downloaded: 0,
        first_activity_at: e.at,
        last_activity_at: e.at,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(["registration_id", "webinar_id"]).doUpdateSet({
          live_minutes: sql`greatest(attendance.live_minutes, ${minutes})`,
          first_activity_at: sql`least(coalesce(attendance.first_activity_at, excluded.first_activity_at), excluded.first_activity_at)`,
          last_activity_at: sql`greatest(coalesce(attendance.last_activity_at, excluded.last_activity_at), excluded.last_activity_at)`,
          updated_at: now,
        }),
      )
      .execute();
    await recordWebinarCheckIn(trx, webinar, registrationId, minutes, e.at, "raise");
  }

  return async function apply(trx: Trx, configurationId: string, events: WebhookEvent[]) {
    let applied = 0;
    for (const e of events) {
      const webinar = await webinarOf(trx, configurationId, e.providerWebinarId);
      // Not one of ours (another integration on the same account): nothing to do.
      if (!webinar) continue;
      applied++;
      switch (e.type) {
        case "registrant.upserted":
          await upserted(trx, webinar, e);
          break;
        case "registrant.cancelled":
          await cancelled(trx, webinar, e);
          break;
        case "participant.joined":
        case "participant.left":
          await participant(trx, webinar, e);
          await pollSoon(trx, webinar.id, EARLY_POLL_SECONDS);
          break;
        case "attendance.changed":
          await pollSoon(trx, webinar.id, 0);
          break;
      }
    }
    return applied;
  };
}

export type WebhookApplier = ReturnType<typeof createWebhookApplier>;
