import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Envelope, SecretContext } from "./envelope.ts";
import type { KekRef } from "./kek.ts";
import { isKeyError, KeyError } from "./key-error.ts";

/** Which KEK (provider, key, version) a stored record is wrapped under. */
export interface RecordKek extends KekRef {
  kekProvider: string;
}

const kekOf = {
  provider: sql<string>`record->>'kekProvider'`,
  keyId: sql<string>`record->>'keyId'`,
  keyVersion: sql<number>`(record->>'keyVersion')::int`,
};

/**
 * The stored envelope records (today: webinar credentials) seen from the key-management
 * side: which KEKs they use, moving them to the current KEK (rewrap), and proving at start-up
 * that the configured KEKs can still open them.
 */
export function createSecretRecords(deps: { db: Db; envelope: Envelope }) {
  const { db, envelope } = deps;
  const contextOf = (row: {
    organization_id: string;
    configuration_id: string;
    field: string;
  }): SecretContext => ({
    organizationId: row.organization_id,
    configurationId: row.configuration_id,
    field: row.field,
  });

  async function notCurrent() {
    const current = await envelope.current();
    return {
      current,
      where: sql<boolean>`(${kekOf.provider} <> ${current.kekProvider} OR ${kekOf.keyId} <> ${current.keyId} OR ${kekOf.keyVersion} <> ${current.keyVersion})`,
    };
  }

  return {
    /** Records per KEK version, for `auditorium keys list` and retirement checks. */
    async usage(): Promise<(RecordKek & { records: number })[]> {
      const rows = await db
        .selectFrom("webinar_secrets")
        .select([
          kekOf.provider.as("kekProvider"),
          kekOf.keyId.as("keyId"),
          kekOf.keyVersion.as("keyVersion"),
          sql<number>`count(*)::int`.as("records"),
        ])
        .groupBy([sql`1`, sql`2`, sql`3`])
        .execute();
      return rows.map((r) => ({ ...r, keyVersion: Number(r.keyVersion), records: Number(r.records) }));
    },

    async isInUse(kek: RecordKek): Promise<boolean> {
      const row = await db
        .selectFrom("webinar_secrets")
        .select("field")
        .where(kekOf.provider, "=", kek.kekProvider)
        .where(kekOf.keyId, "=", kek.keyId)
        .where(kekOf.keyVersion, "=", kek.keyVersion)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Moves up to `batchSize` records to the current KEK, each in its own short update that
     * only applies if the record is unchanged. Resumable: it always picks records not yet on
     * the current KEK. Plaintext secrets are never decrypted; data keys only live in memory.
     */
    async rewrapBatch(batchSize: number): Promise<{ moved: number; remaining: number }> {
      const { where } = await notCurrent();
      const rows = await db
        .selectFrom("webinar_secrets")
        .select(["configuration_id", "organization_id", "field", "record"])
        .where(where)
        .orderBy("configuration_id")
        .orderBy("field")
        .limit(batchSize)
        .execute();
      let moved = 0;
      for (const row of rows) {
        const next = await envelope.rewrap(row.record, contextOf(row));
        if (!next) continue;
        const updated = await db
          .updateTable("webinar_secrets")
          .set({ record: JSON.stringify(next) })
          .where("configuration_id", "=", row.configuration_id)
          .where("field", "=", row.field)
          // Only if nobody replaced the record meanwhile (a credential update, a parallel rewrap).
          .where(
            sql<string>`record->>'wrappedKey'`,
            "=",
            (row.record as { wrappedKey?: string }).wrappedKey ?? "",
          )
          .executeTakeFirst();
        moved += Number(updated.numUpdatedRows ?? 0);
      }
      const left = await db
        .selectFrom("webinar_secrets")
        .select(sql<number>`count(*)::int`.as("n"))
        .where(where)
        .executeTakeFirstOrThrow();
      return { moved, remaining: Number(left.n) };
    },

    /**
     * Start-up safety: every KEK version that records use must open one of them now. A
     * missing key, a wrong keyring folder or a locked HSM stops the process here, naming the
     * provider and the key, instead of failing later inside a sync job.
     */
    async verifyReadable(): Promise<void> {
      const refs = await this.usage();
      for (const ref of refs) {
        const sample = await db
          .selectFrom("webinar_secrets")
          .select(["configuration_id", "organization_id", "field", "record"])
          .where(kekOf.provider, "=", ref.kekProvider)
          .where(kekOf.keyId, "=", ref.keyId)
          .where(kekOf.keyVersion, "=", ref.keyVersion)
          .limit(1)
          .executeTakeFirstOrThrow();
        try {
          (await envelope.open(sample.record, contextOf(sample))).fill(0);
        } catch (error) {
          const code = isKeyError(error) ? error.code : "kek_unavailable";
          throw new KeyError(
            code,
            `The configured key-encryption keys cannot open ${ref.records} stored secret(s) wrapped by KEK provider "${ref.kekProvider}", key "${ref.keyId}" version ${ref.keyVersion} (${code}). Configure that provider and key, or restore its keyring, before starting.`,
            { cause: error },
          );
        }
      }
    },
  };
}

export type SecretRecords = ReturnType<typeof createSecretRecords>;
