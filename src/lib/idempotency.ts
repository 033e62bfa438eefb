import { createHash } from "node:crypto";
import type { Transaction } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database } from "../db/schema.ts";
import { unprocessable } from "./errors.ts";

export interface StoredResponse {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );

export const requestHash = (body: unknown) => createHash("sha256").update(canonical(body)).digest("hex");

type Trx = Transaction<Database>;
interface KeyScope {
  organizationId: string;
  scope: string;
}

/**
 * Inserts the keys not yet taken and says which were claimed here. In key order, so two
 * transactions claiming overlapping sets wait for each other rather than deadlock. A key
 * another transaction holds uncommitted makes this wait on its row lock.
 */
export async function claimKeys(
  trx: Trx,
  at: KeyScope,
  entries: { key: string; requestHash: string }[],
): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const claimed = await trx
    .insertInto("idempotency_keys")
    .values(
      sorted.map((e) => ({
        organization_id: at.organizationId,
        scope: at.scope,
        key: e.key,
        request_hash: e.requestHash,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .returning("key")
    .execute();
  return new Set(claimed.map((c) => c.key));
}

/** Keeps the answer to replay for a claimed key. */
export async function storeResponse(
  trx: Trx,
  at: KeyScope & { key: string },
  result: { statusCode: number; body: unknown },
) {
  await trx
    .updateTable("idempotency_keys")
    .set({ status_code: result.statusCode, response: JSON.stringify(result.body) })
    .where("organization_id", "=", at.organizationId)
    .where("scope", "=", at.scope)
    .where("key", "=", at.key)
    .execute();
}

/** Gives back keys whose work failed inside a transaction that still commits (a retry runs afresh). */
export async function releaseKeys(trx: Trx, at: KeyScope, keys: string[]) {
  if (keys.length === 0) return;
  await trx
    .deleteFrom("idempotency_keys")
    .where("organization_id", "=", at.organizationId)
    .where("scope", "=", at.scope)
    .where("key", "in", keys)
    .execute();
}

/**
 * Runs `work` at most once per (organization, scope, key). The key row is inserted in the
 * same transaction as the work: a concurrent duplicate waits on the row lock, then replays
 * the committed response; a failed attempt rolls back its key, so a retry runs afresh.
 * The same key with a different body is refused with 422.
 */
export async function idempotent(
  db: Db,
  key: { organizationId: string; scope: string; key: string; body: unknown },
  work: (trx: Transaction<Database>) => Promise<{ statusCode: number; body: unknown }>,
): Promise<StoredResponse> {
  const hash = requestHash(key.body);
  return db.transaction().execute(async (trx) => {
    const claimed = (await claimKeys(trx, key, [{ key: key.key, requestHash: hash }])).has(key.key);
    if (!claimed) {
      const stored = await trx
        .selectFrom("idempotency_keys")
        .select(["request_hash", "status_code", "response"])
        .where("organization_id", "=", key.organizationId)
        .where("scope", "=", key.scope)
        .where("key", "=", key.key)
        .executeTakeFirstOrThrow();
      if (stored.request_hash !== hash) {
        throw unprocessable(
          "idempotency_key_reused",
          "This Idempotency-Key was used with a different request body",
          "Idempotency-Key",
        );
      }
      return { statusCode: stored.status_code ?? 200, body: stored.response, replayed: true };
    }
    const result = await work(trx);
    await storeResponse(trx, key, result);
    return { ...result, replayed: false };
  });
}
