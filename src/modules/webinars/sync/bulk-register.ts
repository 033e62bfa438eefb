import { sql } from "kysely";
import type { Db } from "../../../db/database.ts";
import {
  DEFAULT_LEASE,
  LeaseLost,
  type LeaseTiming,
  leaseUntil,
  newLeaseToken,
  startHeartbeat,
} from "../../../jobs/lease.ts";
import { type JobQueue, registrationJobKey } from "../../../jobs/queue.ts";
import { normalizeEmail } from "../../../lib/email-address.ts";
import type { ProviderRegistrant, RegistrantSpec, WebinarProvider } from "../../../providers/contract.ts";
import type { EmitWebhookEvent } from "../../webhooks-out/emit.ts";
import { providerAnswers } from "./answers.ts";
import { CAMPAIGN_COLUMNS, campaignOf } from "./campaign.ts";
import { type ProviderCaller, type RetryBackoff, retryBackoff, writeMayHaveLanded } from "./provider-call.ts";
import { emitSyncOutcome, NO_WEBHOOKS } from "./webhook-events.ts";

/** The registration a job holds (already leased by it, first attempt, to be registered). */
export interface BatchLead {
  registrationId: string;
  webinarId: string;
  configurationId: string;
  providerWebinarId: string;
  webinarJoinUrl: string | null;
}

/**
 * Batch registration for a backlog. A registration job whose provider has `bulkRegister`
 * claims up to `bulkRegisterMax - 1` other pending, unleased, first-attempt registrations of
 * the same webinar (the same lease the single path takes, so no other worker touches them),
 * and sends them all in one call. Each person in the answer is stored with their personal
 * link; anyone missing from it, and everyone after a failed batch, continues on the single
 * path with `attempts = 1` — which looks the person up before registering. So a batch is
 * never repeated: whatever the provider applied before an answer was lost is adopted.
 *
 * Returns "single" when there is nothing to batch (the caller takes the single path), and
 * "wait" when other leads are batching this webinar's backlog right now: the caller then
 * steps back for a moment, so the leftovers form one more batch instead of going one by one.
 */
export function createBulkRegistrar(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  lease?: LeaseTiming;
  /** Outgoing webhooks: registration.synced for each registration the batch stored. */
  emitWebhookEvent?: EmitWebhookEvent;
  backoff?: RetryBackoff;
}) {
  const { db, queue, call } = deps;
  const lease = deps.lease ?? DEFAULT_LEASE;
  const backoff = deps.backoff ?? retryBackoff();

  /**
   * Leases up to `limit` first attempts of the webinar, the lead's own row first, in one
   * statement. SKIP LOCKED: leads claiming at once take disjoint sets instead of waiting; a
   * row already leased (by its own job or another batch) is left to its holder. The pick is a
   * CTE so it runs once: as an IN-subquery PostgreSQL may rescan it and exceed the limit.
   * All of them carry the batch's one fencing token.
   */
  async function claim(lead: BatchLead, limit: number, token: string): Promise<string[]> {
    const rows = await sql<{ registration_id: string }>`
      WITH picked AS (
        SELECT registration_id FROM registration_syncs
        WHERE webinar_id = ${lead.webinarId}
          AND state = 'pending' AND desired = 'registered' AND attempts = 0
          AND (lease_until IS NULL OR lease_until < now())
        ORDER BY (registration_id = ${lead.registrationId}) DESC, created_at, registration_id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      UPDATE registration_syncs s
      SET lease_until = ${leaseUntil(lease)}, lease_token = ${token}::uuid,
        lease_holder = ${lease.holder?.() ?? null}::integer
      FROM picked
      WHERE s.webinar_id = ${lead.webinarId} AND s.registration_id = picked.registration_id
      RETURNING s.registration_id`.execute(db);
    return rows.rows.map((r) => r.registration_id);
  }

  async function people(ids: string[]) {
    const rows = await db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .innerJoin("events as e", "e.id", "r.event_id")
      .select([
        "r.id",
        "c.email",
        "c.first_name",
        "c.last_name",
        "c.company",
        "c.job_title",
        "r.answers",
        "e.registration_questions",
        ...CAMPAIGN_COLUMNS,
      ])
      .where("r.id", "in", ids)
      .execute();
    return rows.map((r) => ({
      registrationId: r.id,
      spec: {
        email: r.email,
        firstName: r.first_name,
        lastName: r.last_name,
        company: r.company,
        jobTitle: r.job_title,
        answers: providerAnswers(r.registration_questions, r.answers),
        campaign: campaignOf(r),
      } satisfies RegistrantSpec,
    }));
  }

  /** The batch's rows it still holds (fenced by its token). */
  const held = (webinarId: string, ids: string[], token: string) =>
    db
      .updateTable("registration_syncs")
      .where("webinar_id", "=", webinarId)
      .where("registration_id", "in", ids)
      .where("lease_token", "=", token);

  /**
   * Lease released on every claimed row the batch still holds; `set` applies to all of them.
   * Returns the rows released: a row whose lease lapsed belongs to its new holder.
   */
  const releaseAll = async (
    webinarId: string,
    ids: string[],
    token: string,
    set: Record<string, unknown>,
  ) => {
    const rows = await held(webinarId, ids, token)
      .set({ ...set, lease_until: null, lease_token: null, updated_at: new Date() })
      .returning("registration_id")
      .execute();
    return rows.map((r) => r.registration_id);
  };

  /** Each continues on the single path (its own job), after `afterSeconds`. */
  async function requeue(webinarId: string, ids: string[], afterSeconds?: (i: number) => number) {
    for (const [i, registrationId] of ids.entries()) {
      await queue.send(
        db,
        "registration.sync",
        { registrationId, webinarId },
        afterSeconds ? { startAfterSeconds: afterSeconds(i) } : {},
      );
    }
  }

  /**
   * Stores the batch's answer, and in the same transaction deletes the queued jobs of the
   * registrations it leaves synced: each would only be fetched to find its row synced, and at
   * one job per registration that churn, not the provider, bounded a batch drain. Only rows
   * still wanted registered: one whose desired state changed during the call (a cancellation)
   * keeps its job. The UPDATE holds these rows' locks until commit, so whatever changes a row
   * afterwards enqueues a job of its own that this cannot touch. A lead that dies before this
   * commits deletes nothing: the rows keep their jobs and lapse into the single path.
   */
  async function storeAnswer(
    webinarId: string,
    webinarJoinUrl: string | null,
    answered: { registrationId: string; registrant: ProviderRegistrant }[],
    token: string,
  ) {
    const values = answered.map(
      ({ registrationId, registrant }) =>
        sql`(${registrationId}::uuid, ${registrant.providerRegistrantId}::text, ${registrant.joinUrl ?? webinarJoinUrl}::text)`,
    );
    await db.transaction().execute(async (trx) => {
      const stored = await sql<{ registration_id: string; desired: string }>`
        UPDATE registration_syncs s
        SET state = 'synced', last_error = NULL, synced_at = now(), provider_registrant_id = v.registrant_id,
          join_url = v.join_url, lease_until = NULL, lease_token = NULL, updated_at = now()
        FROM (VALUES ${sql.join(values)}) AS v(registration_id, registrant_id, join_url)
        WHERE s.webinar_id = ${webinarId} AND s.registration_id = v.registration_id
          AND s.lease_token = ${token}::uuid
        RETURNING s.registration_id, s.desired`.execute(trx);
      const done = stored.rows.filter((r) => r.desired === "registered");
      await emitSyncOutcome(
        trx,
        deps.emitWebhookEvent ?? NO_WEBHOOKS,
        "registration.synced",
        webinarId,
        done.map((r) => r.registration_id),
      );
      await queue.finishQueued(
        trx,
        "registration.sync",
        done.map((r) => registrationJobKey(webinarId, r.registration_id)),
      );
    });
  }

  /** First attempts of this webinar leased by someone else (a batch in flight). */
  async function batchInFlight(lead: BatchLead) {
    const row = await db
      .selectFrom("registration_syncs")
      .select("registration_id")
      .where("webinar_id", "=", lead.webinarId)
      .where("registration_id", "<>", lead.registrationId)
      .where("state", "=", "pending")
      .where("desired", "=", "registered")
      .where("attempts", "<=", 1)
      .where("lease_until", ">", sql<Date>`now()`)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  return async function registerBatch(
    provider: WebinarProvider,
    lead: BatchLead,
    mayWait: boolean,
  ): Promise<"batched" | "single" | "wait"> {
    const max = provider.bulkRegister ? (provider.bulkRegisterMax ?? 0) : 0;
    if (max < 2) return "single";
    const token = newLeaseToken();
    const ids = await claim(lead, max, token);
    const own = ids.includes(lead.registrationId);
    if (ids.length < 2) {
      if (ids.length > 0) await releaseAll(lead.webinarId, ids, token, {});
      return own && mayWait && (await batchInFlight(lead)) ? "wait" : "single";
    }
    const batch = await people(ids);
    const { webinarId } = lead;

    let writeBegun = false;
    const stopHeartbeat = startHeartbeat(lease, () =>
      held(webinarId, ids, token)
        .set({ lease_until: leaseUntil(lease) })
        .execute(),
    );
    const outcome = await call<ProviderRegistrant[]>(lead.configurationId, async (p, account) => {
      // Fenced too: a batch that lost any of its rows before writing sends nothing; the rows
      // it still holds lapse and are swept back to the single path.
      const kept = await held(webinarId, ids, token)
        .set({ attempts: 1, last_attempt_at: new Date() })
        .executeTakeFirst();
      if (Number(kept.numUpdatedRows) < ids.length) throw new LeaseLost();
      if (!p.bulkRegister) throw new Error("bulkRegister disappeared from the provider");
      writeBegun = true;
      return p.bulkRegister(
        account,
        lead.providerWebinarId,
        batch.map((b) => b.spec),
      );
    })
      .catch((error) => {
        if (error instanceof LeaseLost) return null;
        throw error;
      })
      .finally(stopHeartbeat);
    // Lost before the write: nothing was sent; the rows are their new holders' (or swept back).
    if (outcome === null) return own ? "batched" : "single";

    // Only rows the batch still holds are stored or requeued (releaseAll, storeAnswer): a row
    // whose lease lapsed meanwhile belongs to its new holder.
    switch (outcome.kind) {
      case "ok": {
        const byEmail = new Map(outcome.value.map((r) => [normalizeEmail(r.email), r]));
        const missing: string[] = [];
        const answered: { registrationId: string; registrant: ProviderRegistrant }[] = [];
        for (const person of batch) {
          const registrant = byEmail.get(normalizeEmail(person.spec.email));
          if (registrant) answered.push({ registrationId: person.registrationId, registrant });
          else missing.push(person.registrationId);
        }
        if (answered.length > 0) await storeAnswer(webinarId, lead.webinarJoinUrl, answered, token);
        if (missing.length > 0) {
          const released = await releaseAll(webinarId, missing, token, {
            last_error: "Not in the provider's batch answer",
          });
          await requeue(webinarId, released);
        }
        return own ? "batched" : "single";
      }
      case "held":
        await releaseAll(webinarId, ids, token, {
          state: "held",
          last_error: outcome.reason,
          attempts: writeMayHaveLanded(outcome, writeBegun) ? 1 : 0,
        });
        return own ? "batched" : "single";
      case "deferred": {
        // Refused before anything was applied: the batch may form again. If the batch may have
        // landed (a refusal after other requests), each goes alone and looks up first.
        const released = await releaseAll(webinarId, ids, token, {
          attempts: writeMayHaveLanded(outcome, writeBegun) ? 1 : 0,
          last_error: outcome.reason,
        });
        await requeue(webinarId, released, () => outcome.afterSeconds);
        return own ? "batched" : "single";
      }
      case "retry":
      case "failed": {
        // The batch may have reached the provider: from here each person goes alone,
        // looking up first. A refused batch (one bad address) is sorted out the same way.
        const released = await releaseAll(webinarId, ids, token, { attempts: 1, last_error: outcome.reason });
        await requeue(webinarId, released, outcome.kind === "retry" ? () => backoff(1) : undefined);
        return own ? "batched" : "single";
      }
    }
  };
}

export type BulkRegistrar = ReturnType<typeof createBulkRegistrar>;
