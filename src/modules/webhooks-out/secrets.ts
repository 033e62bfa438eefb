import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { Envelope } from "../../keys/index.ts";
import { webhookEndpointSecretContext } from "../../keys/sealed-columns.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { newSigningSecret } from "./signing.ts";

type Executor = Db | Transaction<Database>;

/** How long the old secret keeps signing after a rotation, so receivers can switch over. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

/**
 * An endpoint's signing secrets, sealed with the envelope (src/keys/sealed-columns.ts). The
 * plain secret exists only while a request signs with it and in the one answer that creates
 * it; it is never stored, logged or shown again.
 */
export function createSecretStore(deps: { envelope: Envelope }) {
  const { envelope } = deps;

  /** A new current secret for the endpoint; answers it (to be shown once). */
  async function add(trx: Executor, organizationId: string, endpointId: string): Promise<string> {
    const secret = newSigningSecret();
    const row = { id: uuidv7(), organization_id: organizationId, endpoint_id: endpointId };
    const plaintext = Buffer.from(secret, "utf8");
    const record = JSON.stringify(await envelope.seal(plaintext, webhookEndpointSecretContext(row)));
    plaintext.fill(0);
    await trx
      .insertInto("webhook_endpoint_secrets")
      .values({ ...row, record })
      .execute();
    return secret;
  }

  return {
    add,

    /**
     * Rotation: the secrets in use now end after the overlap (an already-ending one keeps its
     * earlier end), and a new one starts. Expired secrets are deleted.
     */
    async rotate(trx: Executor, organizationId: string, endpointId: string, overlapSeconds: number) {
      await trx
        .deleteFrom("webhook_endpoint_secrets")
        .where("endpoint_id", "=", endpointId)
        .where("expires_at", "<=", sql<Date>`now()`)
        .execute();
      await trx
        .updateTable("webhook_endpoint_secrets")
        .set({ expires_at: sql<Date>`now() + make_interval(secs => ${overlapSeconds})` })
        .where("endpoint_id", "=", endpointId)
        .where("expires_at", "is", null)
        .execute();
      return add(trx, organizationId, endpointId);
    },

    /** The secrets that sign now, newest first (two during a rotation's overlap). */
    async signing(executor: Executor, endpointId: string): Promise<string[]> {
      const rows = await executor
        .selectFrom("webhook_endpoint_secrets")
        .select(["id", "organization_id", "endpoint_id", "record"])
        .where("endpoint_id", "=", endpointId)
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]))
        .orderBy("id", "desc")
        .execute();
      const out: string[] = [];
      for (const row of rows) {
        const plain = await envelope.open(row.record, webhookEndpointSecretContext(row));
        out.push(plain.toString("utf8"));
        plain.fill(0);
      }
      return out;
    },

    /** When the old secret stops signing, while an overlap runs. */
    async overlapEndsAt(executor: Executor, endpointId: string): Promise<Date | null> {
      const row = await executor
        .selectFrom("webhook_endpoint_secrets")
        .select((eb) => eb.fn.max("expires_at").as("ends"))
        .where("endpoint_id", "=", endpointId)
        .where("expires_at", ">", sql<Date>`now()`)
        .executeTakeFirst();
      return (row?.ends as Date | null | undefined) ?? null;
    },
  };
}

export type SecretStore = ReturnType<typeof createSecretStore>;
