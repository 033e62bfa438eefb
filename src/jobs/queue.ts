import { sql, type Transaction } from "kysely";
import { fromKysely, fromPglite, type Job, type JobWithMetadata, PgBoss } from "pg-boss";
import type { DatabaseHandle, Db } from "../db/database.ts";
import type { Database } from "../db/schema.ts";
import type { Logger } from "../lib/logger.ts";
import { JOB_NAMES, type JobName, type JobPayloads } from "./job-kinds.ts";

type Executor = Db | Transaction<Database>;

/** The priority of work handed back from a dead worker (the lease sweeper's jobs). */
export const HANDED_BACK_PRIORITY = 1;

/** A claimed job whose worker has not refreshed it for this long is given back (pg-boss's minimum is 10). */
const HEARTBEAT_SECONDS = 10;

/**
 * Kinds with handed-back lanes (the leased kinds) refresh their claims this often, not every 5 s
 * (half of pg-boss's heartbeat), so a claim unrefreshed for `ABANDONED_CLAIM_SECONDS` has lost
 * its worker, and `giveBackAbandoned` can give it back long before pg-boss's own heartbeat check.
 */
const CLAIM_REFRESH_SECONDS = 1;
export const ABANDONED_CLAIM_SECONDS = 3;

/** pg-boss's schema, named so `finishQueued` can address its job table. */
const SCHEMA = "pgboss";

/**
 * The key each job of these kinds carries: one registration at one webinar. It does not
 * dedupe (the queues use the standard policy); it lets a batch find the queued jobs of the
 * registrations it just stored, through pg-boss's own index on queued keys (`finishQueued`).
 */
const JOB_KEYS: { [N in JobName]?: (data: JobPayloads[N]) => string } = {
  "registration.sync": (d) => registrationJobKey(d.webinarId, d.registrationId),
};
export const registrationJobKey = (webinarId: string, registrationId: string) =>
  `${webinarId}:${registrationId}`;
const keyOf = <N extends JobName>(name: N, data: JobPayloads[N]) =>
  (JOB_KEYS[name] as ((d: JobPayloads[N]) => string) | undefined)?.(data);

export interface SendOptions {
  startAfterSeconds?: number;
  /**
   * A key for jobs that re-read state anyway. On its own it only labels the job (pg-boss
   * dedupes by key only per time slot or for special queue policies); with
   * `singletonSeconds` at most one job per key is accepted in each slot of that length.
   */
  singletonKey?: string;
  singletonSeconds?: number;
}

/** What a handler learns about its job besides the payload. */
export interface JobMeta {
  id: string;
  retryCount: number;
  /**
   * When the job was fetched (pg-boss's `started_on`, ms), for the start timing
   * (start-timing.ts); only for a kind whose worker asks for it (`JobWorker.startTiming`).
   */
  fetchedAt?: number;
  /** Its pg-boss priority (`HANDED_BACK_PRIORITY`: handed back from a dead worker); as `fetchedAt`. */
  priority?: number;
}

export type Handler<N extends JobName> = (data: JobPayloads[N], job: JobMeta) => Promise<void>;

/** One job kind's worker: what runs, and how many of it one process runs at once. */
export interface JobWorker<N extends JobName> {
  concurrency: number;
  /**
   * Lanes of their own for work handed back from a dead worker (the lease sweeper's priority
   * jobs), beside `concurrency`: such work starts within one poll even while every other lane is
   * busy. It is the dead worker's share of the fleet's capacity, taken over, not added to it.
   * A kind with such lanes also refreshes its claims every second (`giveBackAbandoned`).
   */
  handedBack?: number;
  /**
   * The handler reports its start timing (start-timing.ts), so each fetch also reads the job's
   * fetch time and priority (pg-boss's metadata: every column of the job row, which the other
   * kinds do not need).
   */
  startTiming?: boolean;
  handle: Handler<N>;
}
/**
 * Every job kind's worker. The composition root (src/workers.ts) builds one exhaustive
 * record of these, so a new job name fails the build until some worker handles it.
 */
export type JobWorkers = { [N in JobName]: JobWorker<N> };

/** Starts the given workers on the queue (a process's whole set, or a module's part in tests). */
export async function startWorkers(queue: Pick<JobQueue, "work">, workers: Partial<JobWorkers>) {
  for (const name of Object.keys(workers) as JobName[]) {
    const worker = workers[name] as JobWorker<typeof name>;
    await queue.work(
      name,
      {
        concurrency: worker.concurrency,
        ...(worker.handedBack !== undefined && { handedBack: worker.handedBack }),
        ...(worker.startTiming && { startTiming: true }),
      },
      worker.handle,
    );
  }
}

/**
 * A job that runs on a schedule: one at a time (a singleton key), each run queueing the next
 * after the delay it returns. `schedule()` queues the first run; a duplicate is dropped.
 */
export function recurringJob<
  N extends
    | "keys.rewrap"
    | "retention.sweep"
    | "registration.expire"
    | "registration.remind"
    | "webinar.reconcile_sweep",
>(
  queue: Pick<JobQueue, "send">,
  db: Executor,
  name: N,
  run: () => Promise<number>,
): { worker: JobWorker<N>; schedule(): Promise<void> } {
  const after = (seconds: number) =>
    queue.send(db, name, {} as JobPayloads[N], { startAfterSeconds: seconds, singletonKey: name });
  return {
    worker: { concurrency: 1, handle: async () => after(await run()) },
    schedule: () => after(0),
  };
}

export interface JobQueue {
  /** Enqueues in the caller's transaction: the job exists if and only if the change commits. */
  send<N extends JobName>(
    executor: Executor,
    name: N,
    data: JobPayloads[N],
    options?: SendOptions,
  ): Promise<void>;
  /** Many jobs of one kind in one statement, in the caller's transaction. */
  /**
   * `priority`: fetched before every job of a lower one (default 0), so work handed back from a
   * dead worker (the lease sweeper) is not queued behind a backlog.
   */
  sendMany<N extends JobName>(
    executor: Executor,
    name: N,
    data: JobPayloads[N][],
    options?: { priority?: number },
  ): Promise<void>;
  /**
   * Deletes the jobs with these keys that no worker has fetched yet (queued or waiting to be
   * retried), in the caller's transaction; returns how many. Only for jobs that would find
   * nothing to do: the caller must hold, until it commits, the row locks that make it so, so
   * any later change that needs work commits after this and enqueues its own job. Jobs
   * already fetched are left to run.
   */
  finishQueued(executor: Executor, name: JobName, keys: string[]): Promise<number>;
  /**
   * Gives back at once the claims of these kinds (worked with `handedBack` lanes) that no worker
   * has refreshed for `ABANDONED_CLAIM_SECONDS`: their worker died after fetching them, before it
   * claimed their rows or before it settled them (the lease sweeper calls this, src/jobs/lease.ts).
   * pg-boss alone gives them back only once its 10 s heartbeat has lapsed, at its next monitor
   * pass, after a retry delay: 12–24 s; it refuses a shorter heartbeat (an integer ≥ 10 s), so
   * this check is ours (docs/webinars.md, "A taker that dies before its claim"). Each is made due now as a retry (the attempt fence keeps
   * a worker that was only frozen from settling the new attempt). Server PostgreSQL only; the
   * embedded database has one process. Returns how many.
   */
  giveBackAbandoned(executor: Executor, names: JobName[]): Promise<number>;
  /** `handedBack`, `startTiming`: as `JobWorker`'s. */
  work<N extends JobName>(
    name: N,
    options: { concurrency: number; handedBack?: number; startTiming?: boolean },
    handler: Handler<N>,
  ): Promise<void>;
  stop(): Promise<void>;
}

/**
 * pg-boss on either backend: on PGlite through its own adapter (same instance, so one
 * process owns the data folder); on server PostgreSQL with its own small pool, polling every
 * half second (LISTEN/NOTIFY is off: see the note at `useListenNotify`).
 */
export async function createJobQueue(database: DatabaseHandle, logger: Logger): Promise<JobQueue> {
  const common = {
    schedule: false,
    superviseIntervalSeconds: 5,
    maintenanceIntervalSeconds: 60,
    // pg-boss gives back expired and heartbeat-lost claims only in its monitor pass, so this
    // bounds how long a lost claim waits beyond its heartbeat (see HEARTBEAT_SECONDS).
    monitorIntervalSeconds: 10,
  };
  const boss = database.pglite
    ? new PgBoss({ ...common, schema: SCHEMA, db: fromPglite(database.pglite), backend: "pglite" })
    : new PgBoss({
        ...common,
        schema: SCHEMA,
        connectionString: database.connectionString,
        max: 4,
        useListenNotify: false,
        application_name: "auditorium-jobs",
        // LISTEN/NOTIFY left workers idle for the 30 s backstop in trials here (delayed jobs
        // falling due are never notified); a 1 s poll is cheap and predictable.
      });
  boss.on("error", (error: Error) => logger.error({ err: error }, "job queue error"));
  await boss.start();
  for (const name of JOB_NAMES) {
    const options = {
      retryLimit: 20,
      retryDelay: 2,
      retryBackoff: true,
      // A worker killed mid-job: the job is claimed again after this long. A metrics poll
      // reads a webinar's whole attendee list (ON24 sends it unpaged, with a 120 s deadline)
      // and writes it; expiring it sooner would start a second poll beside a slow first one.
      // A reconciliation reads a whole registrant list (ON24's unpaged) and applies it in chunks.
      expireInSeconds: name === "metrics.poll" ? 300 : name === "webinar.reconcile" ? 900 : 60,
      // A claim whose worker lost its connection (the fetch committed but its answer never
      // arrived, or the batch's results could not be written) is held by no one. The expiry
      // above gave it back only after 60 s plus up to a monitor interval, and a drain whose
      // remaining jobs were all held so synced nothing meanwhile (docs/performance.md, "Silent
      // stall after connection cuts"). Live workers refresh their claims every half of this;
      // a claim not refreshed for this long is failed and retried.
      heartbeatSeconds: HEARTBEAT_SECONDS,
      notify: true,
    };
    await boss.createQueue(name, { ...options, retryDelayMax: 120 });
    // createQueue leaves an existing queue as it was; a changed setting reaches it this way.
    await boss.updateQueue(name, options);
  }

  return {
    async send(executor, name, data, options = {}) {
      const key = options.singletonKey ?? keyOf(name, data);
      await boss.send(name, data, {
        db: fromKysely(executor),
        ...(options.startAfterSeconds !== undefined && {
          startAfter: Math.max(0, Math.ceil(options.startAfterSeconds)),
        }),
        ...(key !== undefined && { singletonKey: key }),
        ...(options.singletonSeconds !== undefined && { singletonSeconds: options.singletonSeconds }),
      });
    },
    async sendMany(executor, name, data, options = {}) {
      for (let i = 0; i < data.length; i += 1000) {
        await boss.insert(
          name,
          data.slice(i, i + 1000).map((d) => {
            const key = keyOf(name, d);
            return {
              data: d,
              ...(key !== undefined && { singletonKey: key }),
              ...(options.priority !== undefined && { priority: options.priority }),
            };
          }),
          { db: fromKysely(executor) },
        );
      }
    },
    async finishQueued(executor, name, keys) {
      if (keys.length === 0) return 0;
      // One statement; pg-boss's deleteJob takes ids, which would cost a lookup first. State
      // below 'active' is created or retry (pg-boss's job_state enum is ordered).
      const result = await sql`
        DELETE FROM ${sql.id(SCHEMA, "job")}
        WHERE name = ${name} AND singleton_key IN (${sql.join(keys)}) AND state < 'active'`.execute(executor);
      return Number(result.numAffectedRows ?? 0);
    },
    async giveBackAbandoned(executor, names) {
      if (database.pglite || names.length === 0) return 0;
      // What pg-boss's heartbeat check does (a retry, started_on kept so the next fetch counts a
      // new attempt), due now; a job out of retries is left to that check, which fails it.
      const result = await sql`
        UPDATE ${sql.id(SCHEMA, "job")}
        SET state = 'retry', start_after = ${sql.id(SCHEMA, "job_now")}(), heartbeat_on = NULL
        WHERE name IN (${sql.join(names)}) AND state = 'active' AND retry_count < retry_limit
          AND heartbeat_on < ${sql.id(SCHEMA, "job_now")}() - make_interval(secs => ${ABANDONED_CLAIM_SECONDS})`.execute(
        executor,
      );
      return Number(result.numAffectedRows ?? 0);
    },
    async work(name, options, handler) {
      // One pg-boss worker per loop, each with its own batch size, so the lanes add up to the
      // concurrency asked for exactly (one shared batch size rounded 10 up to 12 in flight).
      const loops: { batchSize: number; minPriority?: number }[] = fetchPlan(options.concurrency).map(
        (batchSize) => ({ batchSize }),
      );
      // pg-boss fetches by priority, but a loop busy with its batch fetches nothing: a loop that
      // takes only priority jobs is free whenever work is handed back (17 s behind busy loops once).
      if (options.handedBack)
        loops.push({ batchSize: options.handedBack, minPriority: HANDED_BACK_PRIORITY });
      // Claims a dead worker leaves are then told from live ones within seconds (giveBackAbandoned).
      const refresh =
        options.handedBack && !database.pglite ? { heartbeatRefreshSeconds: CLAIM_REFRESH_SECONDS } : {};
      for (const loop of loops) {
        await boss.work(
          name,
          {
            ...loop,
            ...refresh,
            pollingIntervalSeconds: 0.5,
            includeMetadata: options.startTiming === true,
            perJobResults: true,
          },
          // A batch is as large as its loop's lanes: every job fetched starts at once.
          async (jobs: (Job<JobPayloads[typeof name]> & Partial<JobWithMetadata>)[]) =>
            Promise.all(
              jobs.map(async (job) => {
                try {
                  await handler(job.data, { id: job.id, retryCount: job.retryCount, ...timingOf(job) });
                  return { id: job.id, status: "completed" as const };
                } catch (error) {
                  logger.warn({ err: error, job: name, jobId: job.id }, "job failed; pg-boss will retry");
                  return { id: job.id, status: "failed" as const };
                }
              }),
            ),
        );
      }
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000, close: true });
    },
  };
}

/** The fetch time and priority of a job fetched with its metadata (`JobWorker.startTiming`). */
function timingOf(job: Partial<JobWithMetadata>): Pick<JobMeta, "fetchedAt" | "priority"> {
  if (job.startedOn === undefined) return {};
  const fetchedAt = new Date(job.startedOn).getTime();
  return {
    ...(Number.isFinite(fetchedAt) && { fetchedAt }),
    ...(job.priority !== undefined && { priority: job.priority }),
  };
}

/**
 * How a worker of `concurrency` lanes fetches: pg-boss fetches a loop's next batch only when
 * the whole batch is done, so every job fetched waits for the slowest of its batch, and so does
 * work handed back from a dead worker (the lease sweeper's priority jobs) until some loop
 * fetches again. A batch of 25 across two loops held resumed work for 5–15 s behind a slow
 * provider call (test/faults/worker-kills.test.ts). Batches as small as a loop's lanes, over up
 * to four loops, start every fetched job at once and let one loop fetch while others wait.
 * Answers each loop's batch size; they add up to `concurrency`.
 */
export function fetchPlan(concurrency: number): number[] {
  const lanes = Math.max(1, Math.floor(concurrency));
  const loops = Math.min(4, lanes);
  return Array.from({ length: loops }, (_, i) => Math.floor(lanes / loops) + (i < lanes % loops ? 1 : 0));
}
