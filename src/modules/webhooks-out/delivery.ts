import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { JobPayloads } from "../../jobs/job-kinds.ts";
import { newLeaseToken } from "../../jobs/lease.ts";
import { type JobQueue, type JobWorker, startWorkers } from "../../jobs/queue.ts";
import { backoffSeconds } from "../../lib/backoff.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { Logger } from "../../lib/logger.ts";
import { type AuditService, SYSTEM_ACTOR } from "../audit/audit.service.ts";
import type { SecretStore } from "./secrets.ts";
import { signedHeaders, webhookIdOf } from "./signing.ts";

export interface DeliveryTuning {
  /** One attempt's deadline: connect, send, and the answer's status and first KiB. */
  timeoutMs: number;
  /** The first retry waits 1–2 × this; each later one doubles, with jitter, up to `maxBackoffSeconds`. */
  retryBaseSeconds: number;
  maxBackoffSeconds: number;
  /** An endpoint whose every attempt has failed for this long is disabled. */
  disableAfterSeconds: number;
  /** `webhook.deliver` jobs one process runs at once. */
  concurrency: number;
}

export const DEFAULT_DELIVERY_TUNING: DeliveryTuning = {
  timeoutMs: 10_000,
  retryBaseSeconds: 5,
  maxBackoffSeconds: 6 * 3600,
  disableAfterSeconds: 24 * 3600,
  concurrency: 10,
};

/** At most this much of an answer is kept with the attempt. */
export const EXCERPT_BYTES = 1024;

/** A claim outlives one attempt by this much, so a live attempt never loses it. */
const LEASE_MARGIN_SECONDS = 5;

/**
 * The `webhook.deliver` handler: one attempt at one message for one endpoint.
 *
 * Claim (a fenced lease, attempts + 1) → sign with the endpoint's current secrets → POST
 * through the outbound guard (checked at connect time, no redirect followed, `timeoutMs`) →
 * in one transaction: the attempt's log row, the outcome, and for a failure the next job
 * (back-off with jitter until `give_up_at`), or the endpoint's disabling.
 *
 * At least once: a worker killed after the receiver answered and before the outcome was
 * committed leaves the delivery pending; its job runs again (pg-boss gives back the dead
 * worker's claim) once the lease lapses, with the same `webhook-id`. Receivers dedupe by it.
 */
export function createWebhookDelivery(deps: {
  db: Db;
  queue: Pick<JobQueue, "send" | "work">;
  secrets: SecretStore;
  audit: Pick<AuditService, "record">;
  /** The outbound guard's fetch (src/lib/outbound-guard.ts). */
  fetch: typeof fetch;
  logger?: Logger | undefined;
  tuning?: Partial<DeliveryTuning>;
}) {
  const { db, queue, secrets, audit, logger } = deps;
  const tuning = { ...DEFAULT_DELIVERY_TUNING, ...deps.tuning };
  const leaseSeconds = Math.ceil(tuning.timeoutMs / 1000) + LEASE_MARGIN_SECONDS;
  const nextWait = (attempt: number) =>
    tuning.retryBaseSeconds *
    backoffSeconds(attempt, Math.max(1, tuning.maxBackoffSeconds / tuning.retryBaseSeconds));

  async function post(url: string, headers: Record<string, string>, body: string) {
    const started = performance.now();
    const signal = AbortSignal.timeout(tuning.timeoutMs);
    try {
      const res = await deps.fetch(url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "Auditorium-Webhooks/1" },
        body,
        redirect: "manual",
        signal,
      });
      const excerpt = await readExcerpt(res).catch(() => null);
      return { status: res.status, excerpt, error: null, ms: performance.now() - started };
    } catch (error) {
      const reason = signal.aborted
        ? `timed out after ${tuning.timeoutMs} ms`
        : ((error as { code?: string }).code ?? (error as Error).message ?? "request failed");
      return {
        status: null,
        excerpt: null,
        error: String(reason).slice(0, 300),
        ms: performance.now() - started,
      };
    }
  }

  async function handle(data: JobPayloads["webhook.deliver"]) {
    const token = newLeaseToken();
    const claimed = await db
      .updateTable("webhook_deliveries as d")
      .from("webhook_endpoints as e")
      .set({
        lease_until: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`,
        lease_token: token,
        attempts: sql<number>`d.attempts + 1`,
      })
      .whereRef("e.id", "=", "d.endpoint_id")
      .where("d.id", "=", data.deliveryId)
      .where("d.state", "=", "pending")
      .where("e.enabled", "=", true)
      .where("d.next_attempt_at", "<=", sql<Date>`now()`)
      .where((eb) => eb.or([eb("d.lease_until", "is", null), eb("d.lease_until", "<", sql<Date>`now()`)]))
      .returning([
        "d.id",
        "d.message_id",
        "d.endpoint_id",
        "d.organization_id",
        "d.attempts",
        "d.give_up_at",
        "e.url",
      ])
      .executeTakeFirst();
    if (!claimed) return stepBack(data.deliveryId);

    const message = await db
      .selectFrom("webhook_messages")
      .select(["payload"])
      .where("id", "=", claimed.message_id)
      .executeTakeFirst();
    if (!message) return;
    // Top-level keys in the documented order (jsonb keeps its own); the same on every attempt.
    const { type, timestamp, data: facts } = message.payload as Record<string, unknown>;
    const body = JSON.stringify({ type, timestamp, data: facts });
    const signing = await secrets.signing(db, claimed.endpoint_id);
    const webhookId = webhookIdOf(claimed.message_id);
    const attemptedAt = new Date();
    const headers = signedHeaders(signing, webhookId, Math.floor(attemptedAt.getTime() / 1000), body);
    const result = await post(claimed.url, headers, body);
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    if (!ok)
      // Ids and outcomes only: the URL and the answer may hold what the tenant would not log.
      logger?.info(
        { deliveryId: claimed.id, status: result.status, error: result.error, attempt: claimed.attempts },
        "webhook attempt failed",
      );

    await db.transaction().execute(async (trx) => {
      const mine = await trx
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("id", "=", claimed.id)
        .where("lease_token", "=", token)
        .forUpdate()
        .executeTakeFirst();
      // Lost the claim (it lapsed and another worker took it), or the message was erased.
      if (!mine) return;
      await trx
        .insertInto("webhook_attempts")
        .values({
          id: uuidv7(),
          delivery_id: claimed.id,
          message_id: claimed.message_id,
          endpoint_id: claimed.endpoint_id,
          organization_id: claimed.organization_id,
          attempted_at: attemptedAt,
          status: result.status,
          duration_ms: Math.round(result.ms),
          response_excerpt: result.excerpt,
          error: result.error,
        })
        .execute();
      const lastError = ok ? null : (result.error ?? `HTTP ${result.status}`);
      if (ok) {
        await trx
          .updateTable("webhook_deliveries")
          .set({
            state: "delivered",
            delivered_at: new Date(),
            last_status: result.status,
            last_error: null,
            lease_until: null,
            lease_token: null,
            updated_at: new Date(),
          })
          .where("id", "=", claimed.id)
          .execute();
        await trx
          .updateTable("webhook_endpoints")
          .set({ failing_since: null })
          .where("id", "=", claimed.endpoint_id)
          .where("failing_since", "is not", null)
          .execute();
        return;
      }
      const wait = nextWait(claimed.attempts);
      const next = new Date(Date.now() + wait * 1000);
      const exhausted = next > claimed.give_up_at;
      await trx
        .updateTable("webhook_deliveries")
        .set({
          state: exhausted ? "failed" : "pending",
          next_attempt_at: next,
          last_status: result.status,
          last_error: exhausted
            ? `retries exhausted after ${claimed.attempts} attempts: ${lastError}`
            : lastError,
          lease_until: null,
          lease_token: null,
          updated_at: new Date(),
        })
        .where("id", "=", claimed.id)
        .execute();
      const disabled = await noteFailure(trx, claimed.endpoint_id, claimed.organization_id, attemptedAt);
      if (!exhausted && !disabled)
        await queue.send(trx, "webhook.deliver", { deliveryId: claimed.id }, { startAfterSeconds: wait });
    });
  }

  /**
   * The endpoint has failed once more: it is failing since its first failure after the last
   * success, and after `disableAfterSeconds` of that it is disabled — with a system audit entry
   * and the reason on the endpoint for the API to show. Its pending deliveries wait (an admin
   * who enables it again resumes them). Answers whether it is disabled now.
   */
  async function noteFailure(
    trx: Transaction<Database>,
    endpointId: string,
    organizationId: string,
    at: Date,
  ): Promise<boolean> {
    const endpoint = await trx
      .updateTable("webhook_endpoints")
      .set({ failing_since: sql<Date>`coalesce(failing_since, ${at})` })
      .where("id", "=", endpointId)
      .returning(["failing_since", "enabled"])
      .executeTakeFirst();
    if (!endpoint?.enabled || !endpoint.failing_since) return !endpoint?.enabled;
    const failingFor = (Date.now() - endpoint.failing_since.getTime()) / 1000;
    if (failingFor < tuning.disableAfterSeconds) return false;
    const reason = `Every delivery attempt failed since ${endpoint.failing_since.toISOString()}`;
    await trx
      .updateTable("webhook_endpoints")
      .set({ enabled: false, disabled_at: new Date(), disabled_reason: reason, updated_at: new Date() })
      .where("id", "=", endpointId)
      .execute();
    await audit.record(trx, {
      organizationId,
      actor: SYSTEM_ACTOR,
      action: "webhook_endpoint.disabled",
      targetId: endpointId,
      details: { failingForSeconds: Math.round(failingFor) },
    });
    logger?.warn({ endpointId, organizationId }, "webhook endpoint disabled after persistent failures");
    return true;
  }

  /**
   * Not claimed: delivered or gone (nothing to do), disabled (waits for an admin), not due yet
   * (its job is queued), or held by another worker — then look again once that lease lapses,
   * in case the holder died.
   */
  async function stepBack(deliveryId: string) {
    const row = await db
      .selectFrom("webhook_deliveries")
      .select([
        "state",
        sql<number>`greatest(0, extract(epoch from (lease_until - now())))::float8`.as("leaseLeft"),
      ])
      .where("id", "=", deliveryId)
      .executeTakeFirst();
    if (row?.state !== "pending" || !(row.leaseLeft > 0)) return;
    await queue.send(db, "webhook.deliver", { deliveryId }, { startAfterSeconds: row.leaseLeft + 1 });
  }

  const worker: JobWorker<"webhook.deliver"> = {
    concurrency: tuning.concurrency,
    handle: (data) => handle(data),
  };
  return {
    handle,
    worker,
    /** Starts only this worker: for tests that need no other job kind. */
    start: () => startWorkers(queue, { "webhook.deliver": worker }),
  };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;

/** The answer's first KiB as text (NULs dropped: the column is text), then the rest discarded. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const bytes = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes).split("\u0000").join("");
}
