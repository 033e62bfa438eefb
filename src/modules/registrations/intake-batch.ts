import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import { claimKeys, idempotent, releaseKeys, requestHash, storeResponse } from "../../lib/idempotency.ts";
import type { ManyInput, ManyOutcome, ManyResult } from "./registrations.many.ts";
import type { RegisterInput } from "./registrations.register.ts";
import type { RegistrationDto } from "./registrations.schemas.ts";

/** One API registration as the route hands it over. */
export interface IntakeRequest {
  organizationId: string;
  eventId: string;
  input: RegisterInput;
  idempotency?: { key: string; body: unknown } | undefined;
}

export interface IntakeAnswer {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

interface Pending {
  request: IntakeRequest;
  resolve: (answer: IntakeAnswer) => void;
  reject: (error: unknown) => void;
}

/** The scope an Idempotency-Key of the registration route is kept under (the same as before group commit). */
export const registrationScope = (eventId: string) => `POST /events/${eventId}/registrations`;

const canBatch = (input: RegisterInput): input is ManyInput =>
  input.contact !== undefined &&
  input.contactId === undefined &&
  input.confirmWithinHours === undefined &&
  !input.withCancelToken;

/**
 * Group commit for the API's registrations (issue 18). Under load, most of a registration's
 * cost in Node is its statements (each built by Kysely, sent, parsed) and its transaction, not
 * its data; so registrations for one event that arrive together share one transaction and
 * one multi-row statement per step (registrations.many.ts), and each request still gets its
 * own answer.
 *
 * - **Grouping:** requests wait at most until the event loop's next turn (`setImmediate`):
 *   everything that arrived in the same turn goes together. At most `maxInFlight` batches per
 *   event run at once (`maxInFlightUncapped` once a batch has seen the event without a
 *   capacity: its batches take the event's lock shared and run side by side, while a capped
 *   event's queue on its exclusive lock); what arrives meanwhile waits for the next, so the
 *   batch grows with the load and a lone request goes at once, alone, by the path it always
 *   took. The limit is only about speed: capacity, waitlist and idempotency are kept exact by
 *   the locks and keys, whatever the number of batches in flight.
 * - **Errors stay per request:** refusals (unknown session, bad answers, erased, already
 *   registered) are decided before anything is written and answer only their request. If
 *   the batch's transaction fails as a whole (a unique index meeting a concurrent
 *   registration, a deadlock, a lost connection), it has written nothing, and every request
 *   of it runs again by itself, so a bad one fails alone.
 * - **Idempotency stays exact:** keys are claimed in the batch's transaction, in key order; a
 *   key already held (or a second request with a key already in the batch) runs after the
 *   batch by itself, which replays the stored answer. A refused request gives its key back.
 * - **Nothing answered 201 is lost:** answers go out after the commit, and the sync jobs and
 *   webhooks are written in the same transaction as the registrations.
 */
export function createIntakeBatcher(deps: {
  db: Db;
  registerMany: (
    trx: Transaction<Database>,
    organizationId: string,
    eventId: string,
    inputs: ManyInput[],
  ) => Promise<ManyResult>;
  /** One registration in the caller's transaction: the path every request took before group commit. */
  registerIn: (
    trx: Transaction<Database>,
    organizationId: string,
    eventId: string,
    input: RegisterInput,
  ) => Promise<{ registration: RegistrationDto }>;
  maxBatch?: number;
  maxInFlight?: number;
  maxInFlightUncapped?: number;
}) {
  const { db, registerMany, registerIn } = deps;
  const maxBatch = deps.maxBatch ?? 100;
  const maxInFlight = deps.maxInFlight ?? 2;
  const maxInFlightUncapped = deps.maxInFlightUncapped ?? maxInFlight;
  const queues = new Map<
    string,
    { waiting: Pending[]; inFlight: number; scheduled: boolean; limit: number }
  >();

  /**
   * One request by itself, in its own transaction. With an Idempotency-Key, at most once per
   * key (lib/idempotency.ts): a repeat replays the stored answer, another body is refused.
   */
  async function alone({
    organizationId,
    eventId,
    input,
    idempotency,
  }: IntakeRequest): Promise<IntakeAnswer> {
    const work = async (trx: Transaction<Database>) => ({
      statusCode: 201,
      body: (await registerIn(trx, organizationId, eventId, input)).registration,
    });
    if (idempotency)
      return idempotent(db, { organizationId, scope: registrationScope(eventId), ...idempotency }, work);
    return { ...(await db.transaction().execute(work)), replayed: false };
  }

  const runAlone = (p: Pending) => alone(p.request).then(p.resolve, p.reject);

  /** Runs one batch; tells whether its event has a capacity, when a batch transaction read it. */
  async function runBatch(batch: Pending[]): Promise<boolean | undefined> {
    const first = batch[0] as Pending;
    if (batch.length === 1) {
      await runAlone(first);
      return undefined;
    }
    const { organizationId, eventId } = first.request;
    const at = { organizationId, scope: registrationScope(eventId) };
    // A key twice in one batch: the second replays the first's answer after the batch.
    const later: Pending[] = [];
    const keysInBatch = new Set<string>();
    let members: Pending[] = [];
    for (const p of batch) {
      const key = p.request.idempotency?.key;
      if (key !== undefined && keysInBatch.has(key)) later.push(p);
      else {
        if (key !== undefined) keysInBatch.add(key);
        members.push(p);
      }
    }
    let answers: { pending: Pending; outcome: ManyOutcome }[];
    let capped: boolean;
    try {
      ({ answers, capped } = await db.transaction().execute(async (trx) => {
        const claimed = await claimKeys(
          trx,
          at,
          members.flatMap((p) =>
            p.request.idempotency
              ? [{ key: p.request.idempotency.key, requestHash: requestHash(p.request.idempotency.body) }]
              : [],
          ),
        );
        const held = members.filter((p) => p.request.idempotency && !claimed.has(p.request.idempotency.key));
        later.push(...held);
        members = members.filter((p) => !held.includes(p));
        const { outcomes, capped } = await registerMany(
          trx,
          organizationId,
          eventId,
          members.map((p) => p.request.input as ManyInput),
        );
        const paired = members.map((pending, n) => ({ pending, outcome: outcomes[n] as ManyOutcome }));
        const giveBack: string[] = [];
        for (const { pending, outcome } of paired) {
          const key = pending.request.idempotency?.key;
          if (key === undefined) continue;
          if (outcome.kind === "created")
            await storeResponse(trx, { ...at, key }, { statusCode: 201, body: outcome.registration });
          else giveBack.push(key);
        }
        await releaseKeys(trx, at, giveBack);
        return { answers: paired, capped };
      }));
    } catch {
      // Nothing of the batch was written: each request again, by itself, gets its own answer.
      await Promise.all([...members, ...later].map(runAlone));
      return undefined;
    }
    for (const { pending, outcome } of answers) {
      if (outcome.kind === "created")
        pending.resolve({
          statusCode: 201,
          body: outcome.registration satisfies RegistrationDto,
          replayed: false,
        });
      else if (outcome.kind === "failed") pending.reject(outcome.error);
      else later.push(pending);
    }
    await Promise.all(later.map(runAlone));
    return capped;
  }

  function schedule(queueKey: string) {
    const queue = queues.get(queueKey);
    if (!queue) return;
    if (queue.waiting.length === 0 && queue.inFlight === 0) {
      queues.delete(queueKey);
      return;
    }
    if (queue.scheduled || queue.inFlight >= queue.limit || queue.waiting.length === 0) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      const batch = queue.waiting.splice(0, maxBatch);
      if (batch.length === 0) return schedule(queueKey);
      queue.inFlight += 1;
      runBatch(batch)
        .then((capped) => {
          if (capped !== undefined) queue.limit = capped ? maxInFlight : maxInFlightUncapped;
        })
        .catch((error: unknown) => {
          for (const p of batch) p.reject(error);
        })
        .finally(() => {
          queue.inFlight -= 1;
          schedule(queueKey);
        });
      schedule(queueKey);
    });
  }

  return {
    /** Registers through group commit when the request can share a batch, else by itself. */
    submit(request: IntakeRequest): Promise<IntakeAnswer> {
      if (!canBatch(request.input)) return alone(request);
      const queueKey = `${request.organizationId}/${request.eventId}`;
      let queue = queues.get(queueKey);
      if (!queue) {
        queue = { waiting: [], inFlight: 0, scheduled: false, limit: maxInFlight };
        queues.set(queueKey, queue);
      }
      const answer = new Promise<IntakeAnswer>((resolve, reject) => {
        queue.waiting.push({ request, resolve, reject });
      });
      schedule(queueKey);
      return answer;
    },
  };
}
