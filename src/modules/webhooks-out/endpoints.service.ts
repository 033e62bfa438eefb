import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { WebhookEndpointRow } from "../../db/schema-webhooks-out.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { conflict, notFound, unprocessable } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { type OutboundAllowList, refusalOf } from "../../lib/outbound-guard.ts";
import type { AuditWrite } from "../audit/audit.service.ts";
import { RETRY_WINDOW_SECONDS } from "./emit.ts";
import type { WebhookEventType } from "./event-types.ts";
import { ROTATION_OVERLAP_SECONDS, type SecretStore } from "./secrets.ts";

type Trx = Transaction<Database>;

export interface EndpointInput {
  url: string;
  eventTypes: WebhookEventType[];
  description?: string | null | undefined;
}

export interface EndpointPatch {
  url?: string | undefined;
  eventTypes?: WebhookEventType[] | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export type ReplayInput = { messageId: string } | { since: Date; until: Date };

/** Replaying a range sends at most this many messages per call (the answer says if more remain). */
export const MAX_REPLAY = 10_000;

/**
 * Endpoints: create (the secret answered once), change, delete, rotate the secret, and
 * replay. Each change writes its audit entry in its own transaction. URLs pass the outbound
 * guard's rule here and again at every connection (delivery.ts).
 */
export function createEndpointService(deps: {
  db: Db;
  queue: Pick<JobQueue, "sendMany">;
  secrets: SecretStore;
  allowPrivateHosts: OutboundAllowList;
  overlapSeconds?: number;
  retryWindowSeconds?: number;
}) {
  const { db, queue, secrets } = deps;
  const overlap = deps.overlapSeconds ?? ROTATION_OVERLAP_SECONDS;
  const window = deps.retryWindowSeconds ?? RETRY_WINDOW_SECONDS;

  async function checkUrl(url: string) {
    const refusal = await refusalOf(url, deps.allowPrivateHosts);
    if (refusal) throw unprocessable("url_not_allowed", `url ${refusal}`, "url");
  }

  async function find(executor: Db | Trx, organizationId: string, id: string, lock = false) {
    let q = executor
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id);
    if (lock) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw notFound("Webhook endpoint");
    return row;
  }

  async function withOverlap(executor: Db | Trx, row: WebhookEndpointRow) {
    return { ...row, secretOverlapEndsAt: await secrets.overlapEndsAt(executor, row.id) };
  }

  /** Queues the pending deliveries of an endpoint again (re-enabled), with a fresh retry window. */
  async function resumePending(trx: Trx, endpointId: string) {
    const rows = await trx
      .updateTable("webhook_deliveries")
      .set({
        next_attempt_at: new Date(),
        give_up_at: new Date(Date.now() + window * 1000),
        updated_at: new Date(),
      })
      .where("endpoint_id", "=", endpointId)
      .where("state", "=", "pending")
      .returning("id")
      .execute();
    await queue.sendMany(
      trx,
      "webhook.deliver",
      rows.map((r) => ({ deliveryId: r.id })),
    );
  }

  return {
    async create(organizationId: string, input: EndpointInput, audit?: AuditWrite) {
      await checkUrl(input.url);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("webhook_endpoints")
          .values({
            id: uuidv7(),
            organization_id: organizationId,
            url: input.url,
            description: input.description ?? null,
            event_types: [...new Set(input.eventTypes)],
            updated_at: new Date(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const secret = await secrets.add(trx, organizationId, row.id);
        await audit?.(trx, row.id);
        return { endpoint: { ...row, secretOverlapEndsAt: null }, secret };
      });
    },

    async list(organizationId: string, query: { before?: string | undefined; limit: number }) {
      let q = db
        .selectFrom("webhook_endpoints")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .orderBy("id", "desc")
        .limit(query.limit + 1);
      if (query.before) q = q.where("id", "<", query.before);
      const rows = await q.execute();
      return Promise.all(rows.map((r) => withOverlap(db, r)));
    },

    async get(organizationId: string, id: string) {
      return withOverlap(db, await find(db, organizationId, id));
    },

    async update(organizationId: string, id: string, patch: EndpointPatch, audit?: AuditWrite) {
      if (patch.url !== undefined) await checkUrl(patch.url);
      return db.transaction().execute(async (trx) => {
        const before = await find(trx, organizationId, id, true);
        const enabling = patch.enabled === true && !before.enabled;
        const row = await trx
          .updateTable("webhook_endpoints")
          .set({
            ...(patch.url !== undefined && { url: patch.url }),
            ...(patch.eventTypes !== undefined && { event_types: [...new Set(patch.eventTypes)] }),
            ...(patch.description !== undefined && { description: patch.description }),
            ...(patch.enabled !== undefined && {
              enabled: patch.enabled,
              // Switched on or off by a person: the worker's reason no longer applies.
              disabled_at: patch.enabled ? null : (before.disabled_at ?? new Date()),
              disabled_reason: null,
              failing_since: null,
            }),
            updated_at: new Date(),
          })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (enabling) await resumePending(trx, id);
        await audit?.(trx);
        return withOverlap(trx, row);
      });
    },

    async remove(organizationId: string, id: string, audit?: AuditWrite) {
      await db.transaction().execute(async (trx) => {
        await find(trx, organizationId, id, true);
        // Deliveries and attempts go with it (cascade); queued jobs find no row and end.
        await trx.deleteFrom("webhook_endpoints").where("id", "=", id).execute();
        await audit?.(trx);
      });
    },

    async rotateSecret(organizationId: string, id: string, audit?: AuditWrite) {
      return db.transaction().execute(async (trx) => {
        await find(trx, organizationId, id, true);
        const secret = await secrets.rotate(trx, organizationId, id, overlap);
        await trx
          .updateTable("webhook_endpoints")
          .set({ updated_at: new Date() })
          .where("id", "=", id)
          .execute();
        await audit?.(trx);
        const endsAt = await secrets.overlapEndsAt(trx, id);
        return { secret, previousSecretExpiresAt: endsAt };
      });
    },

    /**
     * Sends messages again, with their original ids: one message (whatever became of it), or
     * every message of a time range of a type the endpoint subscribes to that it has not
     * received since it exists — failed, still pending, or written while it was disabled.
     */
    async replay(organizationId: string, id: string, input: ReplayInput, audit?: AuditWrite) {
      return db.transaction().execute(async (trx) => {
        const endpoint = await find(trx, organizationId, id, true);
        if (!endpoint.enabled)
          throw conflict("endpoint_disabled", "Enable the endpoint before replaying to it", "enabled");
        let messageIds: string[];
        if ("messageId" in input) {
          const found = await trx
            .selectFrom("webhook_messages")
            .select("id")
            .where("organization_id", "=", organizationId)
            .where("id", "=", input.messageId)
            .executeTakeFirst();
          if (!found) throw unprocessable("unknown_message", "No such message", "messageId");
          messageIds = [found.id];
        } else {
          if (input.until <= input.since)
            throw unprocessable("empty_range", "until must be after since", "until");
          const rows = await trx
            .selectFrom("webhook_messages as m")
            .select("m.id")
            .where("m.organization_id", "=", organizationId)
            .where("m.created_at", ">=", input.since)
            // What it missed: messages from before the endpoint existed were never its own.
            .where("m.created_at", ">=", endpoint.created_at)
            .where("m.created_at", "<", input.until)
            .where("m.event_type", "in", endpoint.event_types)
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom("webhook_deliveries as d")
                    .select("d.id")
                    .whereRef("d.message_id", "=", "m.id")
                    .where("d.endpoint_id", "=", id)
                    .where("d.state", "=", "delivered"),
                ),
              ),
            )
            .orderBy("m.id")
            .limit(MAX_REPLAY + 1)
            .execute();
          messageIds = rows.slice(0, MAX_REPLAY).map((r) => r.id);
        }
        const now = new Date();
        const giveUpAt = new Date(now.getTime() + window * 1000);
        const deliveries =
          messageIds.length === 0
            ? []
            : await trx
                .insertInto("webhook_deliveries")
                .values(
                  messageIds.map((messageId) => ({
                    id: uuidv7(),
                    message_id: messageId,
                    endpoint_id: id,
                    organization_id: organizationId,
                    state: "pending" as const,
                    give_up_at: giveUpAt,
                    updated_at: now,
                  })),
                )
                .onConflict((oc) =>
                  oc.columns(["message_id", "endpoint_id"]).doUpdateSet({
                    state: "pending",
                    next_attempt_at: now,
                    give_up_at: giveUpAt,
                    updated_at: now,
                  }),
                )
                .returning("id")
                .execute();
        await queue.sendMany(
          trx,
          "webhook.deliver",
          deliveries.map((d) => ({ deliveryId: d.id })),
        );
        await audit?.(trx);
        return { replayed: deliveries.length };
      });
    },

    /** The endpoint's deliveries, newest message first, optionally of one state. */
    async deliveries(
      organizationId: string,
      id: string,
      query: { before?: string | undefined; limit: number; state?: string | undefined },
    ) {
      await find(db, organizationId, id);
      let q = db
        .selectFrom("webhook_deliveries as d")
        .innerJoin("webhook_messages as m", "m.id", "d.message_id")
        .select([
          "m.id",
          "m.event_type",
          "m.created_at",
          "d.state",
          "d.attempts",
          "d.last_status",
          "d.last_error",
          "d.next_attempt_at",
          "d.delivered_at",
        ])
        .where("d.endpoint_id", "=", id)
        .orderBy("m.id", "desc")
        .limit(query.limit + 1);
      if (query.before) q = q.where("m.id", "<", query.before);
      if (query.state) q = q.where("d.state", "=", query.state as "pending");
      return q.execute();
    },

    /** Every attempt to send one message to the endpoint, oldest first. */
    async attempts(organizationId: string, id: string, messageId: string) {
      await find(db, organizationId, id);
      const message = await db
        .selectFrom("webhook_messages")
        .select(["id", "event_type", "payload", "created_at"])
        .where("organization_id", "=", organizationId)
        .where("id", "=", messageId)
        .executeTakeFirst();
      if (!message) throw notFound("Webhook message");
      const attempts = await db
        .selectFrom("webhook_attempts")
        .selectAll()
        .where("endpoint_id", "=", id)
        .where("message_id", "=", messageId)
        .orderBy("attempted_at")
        .orderBy("id")
        .execute();
      return { message, attempts };
    },
  };
}

export type EndpointService = ReturnType<typeof createEndpointService>;
