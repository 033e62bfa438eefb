import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { WebhookData, WebhookEventType } from "./event-types.ts";

type Trx = Transaction<Database>;

/** Retries of one message stop this long after it was written (or replayed). */
export const RETRY_WINDOW_SECONDS = 3 * 86_400;

/**
 * Writes one message per fact (`data`, or each of an array) for every endpoint of the
 * organization subscribed to `type`, and queues their deliveries — all in the caller's
 * transaction (transactional outbox): the message exists exactly when the business change
 * commits, and is never lost once it does. Nothing is written when no endpoint subscribes.
 *
 * Messages about a registration get its next `sequence` number. The counter row is locked
 * until the caller commits, so numbers follow commit order for that registration.
 */
export type EmitWebhookEvent = (
  trx: Trx,
  organizationId: string,
  type: WebhookEventType,
  data: WebhookData | WebhookData[],
  /** The endpoints subscribed to `type`, when the caller read them already (`subscribedEndpoints`). */
  endpoints?: SubscribedEndpoint[],
) => Promise<void>;

export interface SubscribedEndpoint {
  id: string;
  enabled: boolean;
}

/**
 * The organization's endpoints subscribed to `type`, as one JSON array expression: a caller
 * that reads something else first in the same transaction (registering reads the event) can
 * read them with it and hand them to the emitter, one statement less per registration or
 * batch. Read earlier in the same transaction, as the emitter would (READ COMMITTED: an
 * endpoint committed concurrently may or may not be seen, either way).
 */
export const subscribedEndpoints = (organizationId: string, type: WebhookEventType) =>
  sql<SubscribedEndpoint[]>`(
    select coalesce(json_agg(json_build_object('id', id, 'enabled', enabled)), '[]'::json)
    from webhook_endpoints
    where organization_id = ${organizationId} and ${type} = ANY(event_types)
  )`;

export function createWebhookEmitter(deps: {
  queue: Pick<JobQueue, "sendMany">;
  /** Tests shorten the retry window. */
  retryWindowSeconds?: number;
}): EmitWebhookEvent {
  const { queue } = deps;
  const window = deps.retryWindowSeconds ?? RETRY_WINDOW_SECONDS;

  return async function emitWebhookEvent(trx, organizationId, type, data, known) {
    const facts = Array.isArray(data) ? data : [data];
    if (facts.length === 0) return;
    // Disabled endpoints keep their messages (a replay can send them later); only enabled
    // ones get deliveries now.
    const endpoints =
      known ??
      (await trx
        .selectFrom("webhook_endpoints")
        .select(["id", "enabled"])
        .where("organization_id", "=", organizationId)
        .where(sql<boolean>`${type} = ANY(event_types)`)
        .execute());
    if (endpoints.length === 0) return;

    const sequences = await nextSequences(
      trx,
      facts.map((f) => f.registrationId).filter((id): id is string => typeof id === "string"),
    );
    const now = new Date();
    const messages = facts.map((fact) => {
      const sequence = fact.registrationId ? sequences.get(fact.registrationId)?.shift() : undefined;
      return {
        id: uuidv7(),
        organization_id: organizationId,
        event_type: type,
        payload: JSON.stringify({
          type,
          timestamp: now.toISOString(),
          data: { ...fact, ...(sequence !== undefined && { sequence }) },
        }),
        registration_id: fact.registrationId ?? null,
        contact_id: fact.contactId ?? null,
      };
    });
    for (let i = 0; i < messages.length; i += 500)
      await trx
        .insertInto("webhook_messages")
        .values(messages.slice(i, i + 500))
        .execute();

    const giveUpAt = new Date(now.getTime() + window * 1000);
    const deliveries = endpoints
      .filter((e) => e.enabled)
      .flatMap((e) =>
        messages.map((m) => ({
          id: uuidv7(),
          message_id: m.id,
          endpoint_id: e.id,
          organization_id: organizationId,
          state: "pending" as const,
          give_up_at: giveUpAt,
          updated_at: now,
        })),
      );
    for (let i = 0; i < deliveries.length; i += 500)
      await trx
        .insertInto("webhook_deliveries")
        .values(deliveries.slice(i, i + 500))
        .execute();
    await queue.sendMany(
      trx,
      "webhook.deliver",
      deliveries.map((d) => ({ deliveryId: d.id })),
    );
  };
}

/**
 * The next numbers of each registration's counter (one per message about it), in one
 * statement per distinct round. Rows are locked in id order, so two transactions numbering
 * overlapping sets cannot deadlock on them.
 */
async function nextSequences(trx: Trx, registrationIds: string[]) {
  const out = new Map<string, number[]>();
  const counts = new Map<string, number>();
  for (const id of registrationIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size === 0) return out;
  const ids = [...counts.keys()].sort();
  const rows = await sql<{ registration_id: string; last: string | number }>`
    INSERT INTO webhook_sequences (registration_id, last)
    SELECT t.id, t.n FROM unnest(${ids}::uuid[], ${ids.map((id) => counts.get(id) ?? 1)}::int[]) AS t(id, n)
    WHERE EXISTS (SELECT 1 FROM registrations r WHERE r.id = t.id)
    ORDER BY t.id
    ON CONFLICT (registration_id) DO UPDATE SET last = webhook_sequences.last + excluded.last
    RETURNING registration_id, last`.execute(trx);
  for (const row of rows.rows) {
    const n = counts.get(row.registration_id) ?? 1;
    const last = Number(row.last);
    out.set(
      row.registration_id,
      Array.from({ length: n }, (_, i) => last - n + 1 + i),
    );
  }
  return out;
}
