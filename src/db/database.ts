import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: "pglite" | "postgres";
  /** Present only on the embedded backend (pg-boss attaches to it directly). */
  pglite?: PGlite;
  /** Present only on server PostgreSQL. */
  pool?: pg.Pool;
  connectionString?: string;
  close(): Promise<void>;
}

// int8 (counts) as numbers: our counts stay far below 2^53; provider ids are text columns.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Folder for the embedded database; `undefined` with no url means in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle connection the server closed (restart, failover, admin) is dropped from the pool
    // and replaced on next use; unhandled, the event would crash the process.
    pool.on("error", () => {});
    // A connection cut while checked out (between two statements of a transaction) emits
    // "error" on the client itself, where the pool listens only while it is idle: without
    // a listener that would crash the process. The statement in flight or the next one
    // fails instead, and the pool discards the broken client when it is released.
    pool.on("connect", (client) => {
      client.on("error", () => {});
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: "postgres", pool, connectionString: options.databaseUrl, close: () => db.destroy() };
  }
  let dir: string | undefined;
  if (options.dataDir) {
    dir = path.join(options.dataDir, "pgdata");
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  }
  const pglite = await PGlite.create(dir ? { dataDir: dir } : {});
  await pglite.exec("SET TIME ZONE 'UTC'");
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: "pglite",
    pglite,
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
