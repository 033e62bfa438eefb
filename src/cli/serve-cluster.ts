import cluster from "node:cluster";
import { ConfigError } from "../config/env.ts";
import type { Logger } from "../lib/logger.ts";

/**
 * `serve --processes N`: N HTTP processes sharing one port (node:cluster), for using every core
 * of a machine on server PostgreSQL. One Node process runs JavaScript on one core; intake is
 * CPU-bound in Node long before PostgreSQL is busy (docs/performance.md), so a second process
 * is a second core's worth of requests.
 *
 * The primary process serves nothing itself: it has applied the migrations and the first-start
 * set-up once (so N processes do not race to create the first organization), then forks N
 * processes that each run `serve --no-worker` on the shared port, and forks a replacement when
 * one dies unexpectedly. The job worker runs apart (`auditorium worker`): a job worker in each
 * HTTP process would take CPU from the requests at the moment of a launch.
 *
 * Refused on the embedded database: PGlite is one database in one process's memory.
 */
export function parseProcesses(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new ConfigError(`--processes must be a whole number from 1 to 256, got ${raw}`);
  return n;
}

/** Checked before the database is opened: the embedded one is not even created. */
export function assertClusterable(databaseUrl: string | undefined) {
  if (!databaseUrl)
    throw new ConfigError(
      "`serve --processes N` needs DATABASE_URL (server PostgreSQL): the embedded database lives inside one process. Run `serve` alone, or set DATABASE_URL.",
    );
}

/** True in a process forked by `runClusterPrimary`: it serves HTTP only and prints no banner. */
export const isClusterProcess = () => cluster.isWorker;

export function runClusterPrimary(processes: number, logger: Logger, banner: string) {
  let stopping = false;
  const fork = () => cluster.fork({ AUDITORIUM_CLUSTER_PROCESS: "1" });
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "an HTTP process ended; starting another");
    // A process that dies at start (a bad setting) would be re-forked in a tight loop: wait a little.
    setTimeout(fork, 1000).unref();
  });
  let listening = 0;
  cluster.on("listening", () => {
    listening += 1;
    if (listening === processes) process.stdout.write(banner);
  });
  for (let i = 0; i < processes; i++) fork();
  const stop = () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill("SIGTERM");
    // Whatever has not stopped in 10 s is not going to.
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
