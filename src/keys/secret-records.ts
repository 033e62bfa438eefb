import { type RawBuilder, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Envelope } from "./envelope.ts";
import type { KekRef } from "./kek.ts";
import { isKeyError, KeyError } from "./key-error.ts";
import { SEALED_COLUMNS, type SealedColumn } from "./sealed-columns.ts";

/** Which KEK (provider, key, version) a stored record is wrapped under. */
export interface RecordKek extends KekRef {
  kekProvider: string;
}

/** The KEK parts of a sealed record in the column `c` (jsonb). */
const kekOf = (c: SealedColumn) => ({
  provider: sql<string>`${sql.ref(c.column)}->>'kekProvider'`,
  keyId: sql<string>`${sql.ref(c.column)}->>'keyId'`,
  keyVersion: sql<number>`(${sql.ref(c.column)}->>'keyVersion')::int`,
});
const isKek = (c: SealedColumn, kek: RecordKek) => {
  const k = kekOf(c);
  return sql<boolean>`(${k.provider} = ${kek.kekProvider} AND ${k.keyId} = ${kek.keyId} AND ${k.keyVersion} = ${kek.keyVersion})`;
};
const selectedColumns = (c: SealedColumn) => [...new Set([...c.key, ...c.contextColumns])];
type Row = Record<string, string> & { record: unknown };

/**
 * The stored envelope records of every sealed column (sealed-columns.ts: webinar
 * credentials, erasure addresses, webhook clientStates) seen from the key-management side:
 * which KEKs they use, moving them to the current KEK (rewrap), and proving at start-up that
 * the configured KEKs can still open them.
 */
export function createSecretRecords(deps: { db: Db; envelope: Envelope; columns?: readonly SealedColumn[] }) {
  const { db, envelope } = deps;
  const columns = deps.columns ?? SEALED_COLUMNS;

  /** Rows of one sealed column whose record matches `where` (null records are wiped, skipped). */
  async function rowsOf(c: SealedColumn, where: RawBuilder<boolean>, limit: number): Promise<Row[]> {
    const { rows } = await sql<Row>`
      SELECT ${sql.join(selectedColumns(c).map((k) => sql`${sql.ref(k)}::text AS ${sql.ref(k)}`))},
             ${sql.ref(c.column)} AS record
      FROM ${sql.table(c.table)}
      WHERE ${sql.ref(c.column)} IS NOT NULL AND ${where}
      ORDER BY ${sql.join(c.key.map((k) => sql.ref(k)))}
      LIMIT ${limit}`.execute(db);
    return rows;
  }

  async function count(c: SealedColumn, where: RawBuilder<boolean>): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(c.table)}
      WHERE ${sql.ref(c.column)} IS NOT NULL AND ${where}`.execute(db);
    return Number(rows[0]?.n ?? 0);
  }

  /** Records of one sealed column per KEK version. */
  async function usageOf(c: SealedColumn): Promise<(RecordKek & { records: number })[]> {
    const k = kekOf(c);
    const { rows } = await sql<RecordKek & { records: number }>`
      SELECT ${k.provider} AS "kekProvider", ${k.keyId} AS "keyId", ${k.keyVersion} AS "keyVersion",
             count(*)::int AS records
      FROM ${sql.table(c.table)} WHERE ${sql.ref(c.column)} IS NOT NULL
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`.execute(db);
    return rows.map((r) => ({
      kekProvider: r.kekProvider,
      keyId: r.keyId,
      keyVersion: Number(r.keyVersion),
      records: Number(r.records),
    }));
  }

  return {
    /** Records per KEK version over every sealed column, for `auditorium keys list` and retirement checks. */
    async usage(): Promise<(RecordKek & { records: number })[]> {
      const totals = new Map<string, RecordKek & { records: number }>();
      for (const c of columns) {
        for (const r of await usageOf(c)) {
          const { records, ...ref } = r;
          const id = JSON.stringify(ref);
          const seen = totals.get(id) ?? { ...ref, records: 0 };
          seen.records += records;
          totals.set(id, seen);
        }
      }
      return [...totals.values()];
    },

    async isInUse(kek: RecordKek): Promise<boolean> {
      for (const c of columns) if ((await rowsOf(c, isKek(c, kek), 1)).length > 0) return true;
      return false;
    },

    /**
     * Moves up to `batchSize` records to the current KEK, each in its own short update that
     * only applies if the record is unchanged. Resumable: it always picks records not yet on
     * the current KEK, column after column. Plaintext secrets are never decrypted; data keys
     * only live in memory.
     */
    async rewrapBatch(batchSize: number): Promise<{ moved: number; remaining: number }> {
      let moved = 0;
      let taken = 0;
      let remaining = 0;
      const current = await envelope.current();
      for (const c of columns) {
        const where = sql<boolean>`NOT ${isKek(c, current)}`;
        const rows = taken < batchSize ? await rowsOf(c, where, batchSize - taken) : [];
        taken += rows.length;
        for (const row of rows) {
          const next = await envelope.rewrap(row.record, c.context(row));
          if (!next) continue;
          // Only if nobody replaced the record meanwhile (a new credential, a wipe, a parallel rewrap).
          const unchanged = sql<boolean>`${sql.ref(c.column)}->>'wrappedKey' = ${(row.record as { wrappedKey?: string }).wrappedKey ?? ""}`;
          const updated = await sql`
            UPDATE ${sql.table(c.table)} SET ${sql.ref(c.column)} = ${JSON.stringify(next)}
            WHERE ${sql.join([...c.key.map((k) => sql`${sql.ref(k)} = ${row[k]}`), unchanged], sql` AND `)}`.execute(
            db,
          );
          moved += Number(updated.numAffectedRows ?? 0);
        }
        remaining += await count(c, where);
      }
      return { moved, remaining };
    },

    /**
     * Start-up safety: every KEK version that records of any sealed column use must open one
     * of them now. A missing key, a wrong keyring folder or a locked HSM stops the process
     * here, naming the provider, the key and the column, instead of failing later in a job.
     */
    async verifyReadable(): Promise<void> {
      for (const c of columns) {
        for (const ref of await usageOf(c)) {
          const [sample] = await rowsOf(c, isKek(c, ref), 1);
          if (!sample) continue;
          try {
            (await envelope.open(sample.record, c.context(sample))).fill(0);
          } catch (error) {
            const code = isKeyError(error) ? error.code : "kek_unavailable";
            throw new KeyError(
              code,
              `The configured key-encryption keys cannot open ${ref.records} stored secret(s) in ${c.table}.${c.column} wrapped by KEK provider "${ref.kekProvider}", key "${ref.keyId}" version ${ref.keyVersion} (${code}). Configure that provider and key, or restore its keyring, before starting.`,
              { cause: error },
            );
          }
        }
      }
    },
  };
}

export type SecretRecords = ReturnType<typeof createSecretRecords>;
