import { randomInt } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import type { Db } from "../db/database.ts";

/**
 * A worker process's proof of life, kept by PostgreSQL itself: a session advisory lock held on
 * one dedicated connection. When the process dies (SIGKILL, out of memory, its host gone), the
 * kernel closes its socket, PostgreSQL ends the session and the lock is gone at once. The lease
 * sweeper (lease.ts) reads the locks held, so a dead holder's rows go back to live workers
 * within a sweep or two, instead of after the whole lease (src/jobs/lease.ts, `seconds`).
 *
 * Only on server PostgreSQL: the embedded database has exactly one process, whose death ends
 * everything at once.
 */
export interface Liveness {
  /** The key this process's leased rows carry (`lease_holder`); null until started. */
  holder(): number | null;
  start(): void;
  stop(): Promise<void>;
}

/** The advisory-lock class of liveness keys (`pg_advisory_lock(int4, int4)`'s first half). */
export const LIVENESS_LOCK_CLASS = 0x6c697665; // "live"

/** A cut connection is opened again this soon: the sweeper waits two sweeps before it believes a death. */
const RECONNECT_MS = 250;

export function createLiveness(connectionString: string, onError: (error: unknown) => void): Liveness {
  let key: number | null = null;
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const reconnectSoon = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void hold();
    }, RECONNECT_MS);
    retry.unref();
  };

  async function hold() {
    const c = new pg.Client({ connectionString, application_name: `auditorium-liveness-${process.pid}` });
    const lost = () => {
      if (client === c) client = null;
      reconnectSoon();
    };
    c.on("error", lost);
    c.on("end", lost);
    try {
      await c.connect();
      for (;;) {
        const { rows } = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [
          LIVENESS_LOCK_CLASS,
          key,
        ]);
        if (rows[0]?.ok) break;
        // Another live process drew the same key: draw again (its rows stay its own).
        key = randomInt(1, 2 ** 31 - 1);
      }
      if (stopped) await c.end();
      else client = c;
    } catch (error) {
      onError(error);
      await c.end().catch(() => {});
    }
  }

  return {
    holder: () => key,
    start() {
      if (key !== null) return;
      key = randomInt(1, 2 ** 31 - 1);
      void hold();
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
      client = null;
    },
  };
}

/**
 * The holders among `candidates` that hold no liveness lock in this database: their processes
 * are gone (or their one connection is cut this moment; the sweeper confirms over two sweeps).
 */
export async function absentHolders(db: Db, candidates: number[]): Promise<number[]> {
  if (candidates.length === 0) return [];
  const live = await sql<{ holder: string }>`
    SELECT objid::bigint AS holder FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND classid = ${LIVENESS_LOCK_CLASS}::oid AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
  const alive = new Set(live.rows.map((r) => Number(r.holder)));
  return candidates.filter((h) => !alive.has(h));
}
