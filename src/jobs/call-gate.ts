import { sql } from "kysely";
import pg from "pg";
import type { DatabaseHandle } from "../db/database.ts";

/**
 * The switch-off guarantee: once removing a configuration's credentials commits, no call to
 * the provider starts or is still running for it. Provider calls hold a shared permit for
 * their configuration; removal takes the exclusive permit inside its transaction, so it
 * waits for calls in flight, and calls that start later find no credentials.
 *
 * On server PostgreSQL the permit is an advisory lock (shared by every process); on the
 * embedded database there is exactly one process, and an in-process read/write lock does.
 */
export interface CallGate {
  /** Runs `call` holding a shared permit for the configuration (waits while a removal holds the exclusive one). */
  withPermit<T>(configurationId: string, call: () => Promise<T>): Promise<T>;
  /** Runs `removal` (a transaction body) holding the exclusive permit until it returns. */
  exclusive<T>(configurationId: string, removal: () => Promise<T>): Promise<T>;
  /** For server PostgreSQL: the SQL statement that takes the exclusive permit in the caller's transaction. */
  lockInTransaction?: (configurationId: string) => ReturnType<typeof sql>;
  close(): Promise<void>;
}

const lockKey = (configurationId: string) =>
  sql`hashtextextended(${`webinar-configuration:${configurationId}`}, 0)`;

export function createCallGate(database: DatabaseHandle): CallGate {
  return database.pool ? advisoryGate(database) : inProcessGate();
}

function advisoryGate(database: DatabaseHandle): CallGate {
  // One connection per process holds every permit: advisory locks are counted per session,
  // so the same shared lock can be taken once per call in flight. Try-locks in a short poll
  // keep a waiting permit from blocking the connection for other accounts.
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  const connection = async () => {
    if (client) return client;
    connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: database.connectionString,
        application_name: "auditorium-gate",
      });
      // A dropped connection releases its locks; the next permit opens a new one. A query in
      // flight gets the error itself, so the end of the connection is watched too.
      const forget = () => {
        if (client === c) client = null;
      };
      c.on("error", forget);
      c.on("end", forget);
      try {
        await c.connect();
      } catch (error) {
        // Without this every later permit would be handed the same failed attempt.
        connecting = null;
        throw error;
      }
      client = c;
      connecting = null;
      return c;
    })();
    return connecting;
  };
  // Every permit shares the one connection, so its statements go one at a time, in order:
  // pg would queue them itself, but that use is deprecated (it goes away in pg 9).
  let tail: Promise<unknown> = Promise.resolve();
  const query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => {
    const next = tail.then(async () => (await connection()).query<R>(text, values));
    tail = next.catch(() => {});
    return next;
  };
  const key = (configurationId: string) => `webinar-configuration:${configurationId}`;
  return {
    async close() {
      await client?.end().catch(() => {});
      client = null;
    },
    async withPermit(configurationId, call) {
      for (;;) {
        const { rows } = await query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock_shared(hashtextextended($1, 0)) AS ok",
          [key(configurationId)],
        );
        if (rows[0]?.ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      try {
        return await call();
      } finally {
        await query("SELECT pg_advisory_unlock_shared(hashtextextended($1, 0))", [
          key(configurationId),
        ]).catch(() => {});
      }
    },
    async exclusive(_configurationId, removal) {
      // The caller's transaction takes the lock with lockInTransaction; released at commit.
      return removal();
    },
    lockInTransaction: (configurationId) => sql`SELECT pg_advisory_xact_lock(${lockKey(configurationId)})`,
  };
}

function inProcessGate(): CallGate {
  const state = new Map<
    string,
    { readers: number; writer: Promise<void> | null; drained: (() => void) | null }
  >();
  const entry = (id: string) => {
    let e = state.get(id);
    if (!e) {
      e = { readers: 0, writer: null, drained: null };
      state.set(id, e);
    }
    return e;
  };
  return {
    close: async () => {},
    async withPermit(configurationId, call) {
      const e = entry(configurationId);
      while (e.writer) await e.writer;
      e.readers += 1;
      try {
        return await call();
      } finally {
        e.readers -= 1;
        if (e.readers === 0) e.drained?.();
      }
    },
    async exclusive(configurationId, removal) {
      const e = entry(configurationId);
      while (e.writer) await e.writer;
      let release: () => void = () => {};
      e.writer = new Promise<void>((r) => {
        release = r;
      });
      try {
        if (e.readers > 0) {
          await new Promise<void>((r) => {
            e.drained = r;
          });
          e.drained = null;
        }
        return await removal();
      } finally {
        e.writer = null;
        release();
      }
    },
  };
}
