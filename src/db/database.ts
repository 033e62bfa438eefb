import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
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
  /** In memory only: start from this dump (`PGlite.dumpDataDir`) instead of an empty cluster. */
  loadDataDir?: Blob | undefined;
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
    dir = clusterDir(options.dataDir);
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  }
  if (dir) await initdbInChild(dir);
  const pglite = await PGlite.create({
    ...(dir ? { dataDir: dir } : {}),
    ...(!dir && options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    startParams: EMBEDDED_START_PARAMS,
  });
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

/**
 * PGlite's own start parameters (its `defaultStartParams`, which passing ours replaces) and a
 * smaller shared_buffers. PostgreSQL's 128 MB is touched as it starts and held for the life of
 * the process (WebAssembly memory never shrinks): 16 MB is ample for one embedded owner whose
 * files sit in the OS's cache anyway, and idles about 130 MiB lower (docs/performance.md).
 */
const EMBEDDED_START_PARAMS = [
  "--single",
  "-F",
  "-O",
  "-j",
  ...["search_path=public", "exit_on_error=false", "log_checkpoints=false"],
  ...["max_worker_processes=0", "max_parallel_workers=0", "max_parallel_workers_per_gather=0"],
  ...["io_method=sync", "max_parallel_maintenance_workers=0", "shared_buffers=16MB"],
].flatMap((p) => (p.startsWith("-") ? [p] : ["-c", p]));

/** The embedded cluster's folder under the data folder. */
const clusterDir = (dataDir: string) => path.join(dataDir, "pgdata");

/** Whether the data folder already holds an embedded cluster (a start that is not the first). */
export const embeddedDatabaseExists = (dataDir: string) =>
  existsSync(path.join(clusterDir(dataDir), "PG_VERSION"));

/**
 * Creates the embedded cluster in a child process that exits. PGlite's initdb copies the whole
 * WebAssembly heap to restore it between its runs and grows the heap while it bootstraps, and
 * WebAssembly memory is never given back: done in the server's own process, the first start
 * idled at about 860 MiB against 410 MiB for the same folder opened afterwards.
 */
async function initdbInChild(dir: string): Promise<void> {
  if (existsSync(path.join(dir, "PG_VERSION"))) return;
  const script = `const { PGlite } = await import(process.argv[1]);
const pg = await PGlite.create({ dataDir: process.argv[2], startParams: JSON.parse(process.argv[3]) });
await pg.close();`;
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      script,
      import.meta.resolve("@electric-sql/pglite"),
      dir,
      JSON.stringify(EMBEDDED_START_PARAMS),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0)
    throw new Error(`creating the embedded database in ${dir} failed (exit ${code}): ${stderr}`);
}
