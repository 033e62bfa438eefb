import path from "node:path";
import type { TestContext } from "../../helpers/harness.ts";
import { startWorker, stopWorker } from "../../webinars/workers.ts";

/**
 * `auditorium worker` processes on the suite's server database, as a deployment runs them.
 * They get every driver's environment, so a job left over from another provider still goes
 * to that provider's simulator and never to the vendor.
 */
export function workerPool(ctx: TestContext, env: Record<string, string>) {
  const processes: ReturnType<typeof startWorker>[] = [];
  const alive = () => processes.filter((p) => p.exitCode === null && p.signalCode === null);
  return {
    start() {
      processes.push(
        startWorker({
          DATABASE_URL: ctx.database.connectionString as string,
          AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
          ...env,
          AUDITORIUM_QUOTA_PAUSE_SECONDS: "1",
          AUDITORIUM_METRICS_POLL_SECONDS: "1",
          AUDITORIUM_WORKER_CONCURRENCY: "10",
          // Scheduled reconciliation would read earlier scenarios' webinars at any moment
          // (switch-off counts every request); the reconciliation scenario sweeps by hand.
          AUDITORIUM_RECONCILE_MINUTES: "0",
          // Several test files share one server (100 connections): keep each worker small.
          AUDITORIUM_DB_POOL_SIZE: "4",
        }),
      );
    },
    /** Starts workers until `n` are alive (a scenario may follow one that failed early). */
    ensureRunning(n: number) {
      for (let i = alive().length; i < n; i++) this.start();
    },
    /** SIGKILL to the oldest live worker: no shutdown, its claimed jobs and leases left behind. */
    killOne() {
      const victim = alive()[0];
      if (!victim) throw new Error("no live worker to kill");
      victim.kill("SIGKILL");
    },
    /** The tail of each worker's output, for a failure message. */
    output() {
      return processes.map((w) => w.output.join("").slice(-2000)).join("\n---\n");
    },
    async stopAll() {
      await Promise.all(processes.map(stopWorker));
      processes.length = 0;
    },
  };
}

export type WorkerPool = ReturnType<typeof workerPool>;
