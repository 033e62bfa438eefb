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
    const claimed = await trx
      .insertInto("idempotency_keys")
      .values({ organization_id: key.organizationId, scope: key.scope, key: key.key, request_hash: hash })
      .onConflict((oc) => oc.doNothing())
      .returning("key")
      .executeTakeFirst();
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
    await trx
      .updateTable("idempotency_keys")
      .set({ status_code: result.statusCode, response: JSON.stringify(result.body) })
      .where("organization_id", "=", key.organizationId)
      .where("scope", "=", key.scope)
      .where("key", "=", key.key)
      .execute();
    return { ...result, replayed: false };
  });
}
