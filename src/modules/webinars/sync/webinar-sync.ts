import { sql, type Transaction } from "kysely";
import type { Db } from "../../../db/database.ts";
import type { Database } from "../../../db/schema.ts";
import {
  claimedBy,
  DEFAULT_LEASE,
  LeaseLost,
  type LeaseTiming,
  leaseUntil,
  newLeaseToken,
  startHeartbeat,
} from "../../../jobs/lease.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import type { ProvisionedWebinar, WebinarSpec } from "../../../providers/contract.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";
import { questionSpecs } from "./answers.ts";
import { type ProviderCaller, type RetryBackoff, retryBackoff } from "./provider-call.ts";
import { emitProvisioned } from "./webhook-events.ts";

type Trx = Transaction<Database>;

/** How soon a job that found the webinar leased looks again (seconds, plus up to as much jitter). */
const RECHECK_SECONDS = 2;

/**
 * Brings the provider-side webinar in line with its event or session: provision, push
 * changes (title, times, reschedules), or delete when cancelled. After provisioning, the
 * registrations that were waiting are enqueued and metrics polling is scheduled.
 *
 * Created exactly once: a lease on the webinar row keeps two jobs apart (every event change
 * queues one), and `creating_since` is stored before a create is sent. Once it is set, every
 * attempt — after a crash, a lost answer, a hold or a deferral — first looks the webinar up at
 * the provider by our reference (`findWebinarByReference`) and adopts what it finds. The lease
 * is renewed by heartbeat and fenced (src/jobs/lease.ts): every write of a job goes through
 * its token, so one that lost the lease cannot overwrite the new holder's result.
 */
export function createWebinarSyncHandler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  maxAttempts: number;
  onProvisioned: (webinarId: string) => Promise<void>;
  /** Outgoing webhooks: webinar.provisioned. */
  emitWebhookEvent: EmitWebhookEvent;
  lease?: LeaseTiming;
  backoff?: RetryBackoff;
}) {
  const { db, queue, call } = deps;
  const lease = deps.lease ?? DEFAULT_LEASE;
  const backoff = deps.backoff ?? retryBackoff();

  async function loadSpec(webinarId: string) {
    const row = await db
      .selectFrom("webinars as w")
      .innerJoin("events as e", "e.id", "w.event_id")
      .leftJoin("event_sessions as s", "s.id", "w.session_id")
      // One sender, never two: the event's choice, else the account's (docs/email.md).
      .leftJoin("event_registrant_settings as ers", "ers.event_id", "w.event_id")
      .leftJoin("webinar_configurations as wc", "wc.id", "w.configuration_id")
      .select([
        "ers.registrant_emails as event_sender",
        "wc.registrant_emails as account_sender",
        "w.id",
        "w.configuration_id",
        "w.provider_webinar_id",
        "w.state",
        "w.desired",
        "w.version",
        "w.synced_version",
        "w.attempts",
        "w.creating_since",
        "e.title as event_title",
        "e.description as event_description",
        "e.starts_at as event_starts_at",
        "e.ends_at as event_ends_at",
        "e.time_zone",
        "e.language",
        "e.webinar_type as event_webinar_type",
        "e.registration_questions",
        "s.title as session_title",
        "s.description as session_description",
        "s.starts_at as session_starts_at",
        "s.ends_at as session_ends_at",
        "s.webinar_type as session_webinar_type",
      ])
      .where("w.id", "=", webinarId)
      .executeTakeFirst();
    if (!row) return null;
    const spec: WebinarSpec = {
      title: row.session_title ? `${row.event_title}: ${row.session_title}` : row.event_title,
      description: row.session_description ?? row.event_description,
      startsAt: row.session_starts_at ?? row.event_starts_at,
      endsAt: row.session_ends_at ?? row.event_ends_at,
      timeZone: row.time_zone,
      language: row.language,
      webinarType: row.session_webinar_type ?? row.event_webinar_type ?? undefined,
      // Stored with the webinar at the provider, which lists it back: how a lost create is found.
      externalRef: webinarId,
      questions: questionSpecs(row.registration_questions),
    };
    const sender = row.event_sender ?? row.account_sender;
    if (sender) spec.providerSendsRegistrantEmails = sender === "provider";
    return { row, spec };
  }

  /** Writes the row while this job holds the lease (fenced by its token); false when it lost it. */
  /** `alsoIn`: more writes that commit with this one, only when it was still this job's. */
  type Update = (set: Record<string, unknown>, alsoIn?: (trx: Trx) => Promise<void>) => Promise<boolean>;
  const fenced =
    (webinarId: string, token: string): Update =>
    async (set, alsoIn) => {
      const write = async (executor: Db | Trx) => {
        const res = await executor
          .updateTable("webinars")
          .set({ ...set, updated_at: new Date() })
          .where("id", "=", webinarId)
          .where("lease_token", "=", token)
          .executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      };
      if (!alsoIn) return write(db);
      return db.transaction().execute(async (trx) => {
        const mine = await write(trx);
        if (mine) await alsoIn(trx);
        return mine;
      });
    };

  /** The lease, when no other job holds it (or its holder's lease lapsed: it died). */
  async function claim(webinarId: string, token: string): Promise<boolean> {
    const claimed = await db
      .updateTable("webinars")
      .set(claimedBy(lease, token))
      .where("id", "=", webinarId)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", sql<Date>`now()`)]))
      .returning("id")
      .executeTakeFirst();
    return claimed !== undefined;
  }

  /**
   * Another job holds the lease. Look again soon: the holder usually finishes within seconds
   * (and a change it did not see needs this job), or its lease lapses because its worker died.
   * Webinar jobs are few, so a short re-check costs little.
   */
  async function later(webinarId: string) {
    const held = await db
      .selectFrom("webinars")
      .select(sql<number>`greatest(0, extract(epoch from (lease_until - now())))::float8`.as("left"))
      .where("id", "=", webinarId)
      .executeTakeFirst();
    if (!held) return;
    const after = Math.min(held.left + 1, RECHECK_SECONDS * (1 + Math.random()));
    await queue.send(db, "webinar.sync", { webinarId }, { startAfterSeconds: after });
  }

  async function work(webinarId: string, update: Update) {
    const loaded = await loadSpec(webinarId);
    if (!loaded) return;
    const { row, spec } = loaded;
    const version = row.version;
    const provisioned = row.provider_webinar_id !== null && row.state !== "deleted";
    // A create may have been sent and its answer lost: the provider may hold a webinar of ours.
    const maybeCreated = !provisioned && row.creating_since !== null;
    const reference = {
      externalRef: webinarId,
      createdAfter: row.creating_since ?? new Date(),
      startsAt: spec.startsAt,
    };

    type Action = "create" | "update" | "delete" | "none";
    const action: Action =
      row.desired === "deleted"
        ? provisioned || maybeCreated
          ? "delete"
          : "none"
        : !provisioned
          ? "create"
          : row.synced_version < version
            ? "update"
            : "none";
    if (action === "none") {
      if (row.desired === "deleted" && row.state !== "deleted")
        await update({ state: "deleted", last_error: null });
      return;
    }

    const attempt = row.attempts + 1;
    const outcome = await call<ProvisionedWebinar | null>(row.configuration_id, async (provider, account) => {
      if (action === "create") {
        if (maybeCreated) {
          const found = await provider.findWebinarByReference(account, reference);
          // The lost create may have landed only in part (ON24 switches its registrant emails,
          // Zoom sets its registration questions, in calls after the create): the adopted
          // webinar gets the whole spec again.
          if (found) {
            await provider.updateWebinar(account, found.providerWebinarId, spec);
            return found;
          }
        }
        // Stored before the create is sent, and kept until its id is: see the handler's note.
        // Fenced too: a job that lost the lease sends nothing.
        if (!(await update({ attempts: attempt, creating_since: row.creating_since ?? new Date() })))
          throw new LeaseLost();
        return provider.createWebinar(account, spec);
      }
      if (!(await update({ attempts: attempt }))) throw new LeaseLost();
      let key = row.provider_webinar_id;
      if (key === null) {
        // Deleted before a create's answer arrived: delete whatever that create made.
        key = (await provider.findWebinarByReference(account, reference))?.providerWebinarId ?? null;
        if (key === null) return null;
      }
      if (action === "update") await provider.updateWebinar(account, key, spec);
      else await provider.deleteWebinar(account, key);
      return null;
    });

    switch (outcome.kind) {
      case "ok":
        if (action === "create" && outcome.value) {
          const stored = await update(
            {
              provider_webinar_id: outcome.value.providerWebinarId,
              join_url: outcome.value.joinUrl,
              state: "provisioned",
              synced_version: version,
              attempts: 0,
              creating_since: null,
              last_error: null,
            },
            (trx) => emitProvisioned(trx, deps.emitWebhookEvent, webinarId),
          );
          // A job that lost the lease stored nothing: the new holder adopts the webinar.
          if (!stored) return;
          await deps.onProvisioned(webinarId);
          // Changes made while the create was in flight still need pushing.
          const fresh = await db
            .selectFrom("webinars")
            .select(["version", "desired"])
            .where("id", "=", webinarId)
            .executeTakeFirst();
          if (fresh && (fresh.version !== version || fresh.desired !== "active"))
            await queue.send(db, "webinar.sync", { webinarId });
        } else if (action === "update") {
          await update({ synced_version: version, attempts: 0, last_error: null });
        } else {
          await update({
            state: "deleted",
            provider_webinar_id: null,
            creating_since: null,
            attempts: 0,
            last_error: null,
          });
        }
        return;
      case "held":
        await update({ state: "held", last_error: outcome.reason, attempts: row.attempts });
        return;
      case "deferred":
        if (!(await update({ last_error: outcome.reason, attempts: row.attempts }))) return;
        await queue.send(db, "webinar.sync", { webinarId }, { startAfterSeconds: outcome.afterSeconds });
        return;
      case "retry":
        if (attempt >= deps.maxAttempts) {
          await update({
            state: "failed",
            last_error: `${outcome.reason} (after ${attempt} attempts)`,
          });
          return;
        }
        if (!(await update({ last_error: outcome.reason }))) return;
        await queue.send(db, "webinar.sync", { webinarId }, { startAfterSeconds: backoff(attempt) });
        return;
      case "failed":
        await update({ state: "failed", last_error: outcome.reason });
        return;
    }
  }

  return async function handle({ webinarId }: { webinarId: string }) {
    const token = newLeaseToken();
    if (!(await claim(webinarId, token))) return later(webinarId);
    const update = fenced(webinarId, token);
    const stopHeartbeat = startHeartbeat(lease, () =>
      db
        .updateTable("webinars")
        .set({ lease_until: leaseUntil(lease) })
        .where("id", "=", webinarId)
        .where("lease_token", "=", token)
        .execute(),
    );
    try {
      await work(webinarId, update);
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
    } finally {
      stopHeartbeat();
      // Released after the outcome is stored; a job that dies keeps it until it lapses.
      await update({ lease_until: null, lease_token: null });
    }
  };
}
