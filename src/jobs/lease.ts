import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { JobName } from "./job-kinds.ts";
import { absentHolders } from "./liveness.ts";
import { HANDED_BACK_PRIORITY, type JobQueue } from "./queue.ts";

/**
 * Leases on work rows (registration_syncs, webinars, provider_erasures): a job claims a row
 * with one conditional UPDATE that sets `lease_until` and a new `lease_token`, renews it by
 * heartbeat while it works, and settles (stores its outcome, releases) only where the token is
 * still its own. So:
 * - a worker that stalls past its lease (a provider call that outlasts it, a frozen process)
 *   loses the row to the next claimant, and its late result changes nothing (the fence);
 * - a worker that dies stops renewing, so its rows are free after `seconds`, and the sweeper
 *   (`createLeaseSweeper`) hands them to a live worker at once instead of waiting for the job
 *   queue to give up on the dead worker's jobs;
 * - on server PostgreSQL a claim also names its process (`lease_holder`, src/jobs/liveness.ts),
 *   whose death PostgreSQL sees at once, so the sweeper need not wait for the lease to lapse.
 */
export interface LeaseTiming {
  /** A lease not renewed for this long has lapsed: its holder is taken for dead. */
  seconds: number;
  /** How often a live holder renews its leases (well under `seconds`). */
  heartbeatSeconds: number;
  /** This process's liveness key, written with each claim (null: lapse only). */
  holder?: () => number | null;
}

// A dead holder's rows lapse 8–10 s after its last beat and are swept within one more beat (2 s),
// so its work resumes within about 12 s of a kill (the goal is 15 s). A beat is one
// fenced UPDATE per leased row: cheap next to the provider call it protects.
export const DEFAULT_LEASE: LeaseTiming = { seconds: 10, heartbeatSeconds: 2 };

/**
 * Thrown inside a provider call by a job that found its lease taken before it wrote anything
 * at the provider: it sends nothing and stores nothing (the row is the new holder's). It is
 * not a ProviderError, so the caller passes it through to the handler, which ends quietly.
 */
export class LeaseLost extends Error {
  constructor() {
    super("The lease was taken by another worker before the write");
    this.name = "LeaseLost";
  }
}

/** A fencing token, new at every claim. */
export const newLeaseToken = (): string => randomUUID();

/** `now() + seconds`, for `lease_until`. */
export const leaseUntil = (timing: LeaseTiming) =>
  sql<Date>`now() + make_interval(secs => ${timing.seconds})`;

/** The columns a claim sets: the lease's end, its fencing token, and the holder process. */
export const claimedBy = (timing: LeaseTiming, token: string) => ({
  lease_until: leaseUntil(timing),
  lease_token: token,
  lease_holder: timing.holder?.() ?? null,
});

/**
 * Renews a lease every `heartbeatSeconds` until the returned function is called. `renew` is
 * one UPDATE fenced by the token; a failed renewal (a connection cut) is tried again at the
 * next beat — if the lease lapses meanwhile, the fence makes the late settle harmless.
 */
export function startHeartbeat(timing: LeaseTiming, renew: () => Promise<unknown>): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => renew().catch(() => undefined));
  }, timing.heartbeatSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Hands leased work whose holder died to live workers: every `heartbeatSeconds`, the rows whose
 * lease lapsed, or whose holder process is gone, lose it (token cleared, so a holder that was
 * only stalled is fenced out) and get a job, in one transaction. Each such row is taken by one
 * sweeper (one UPDATE per table). A settled row has no lease, so only abandoned work is touched.
 *
 * A holder counts as gone only when two sweeps in a row find no liveness lock for it: a live
 * process whose liveness connection was just cut holds its lock again well within a sweep.
 *
 * Each sweep also gives back the leased kinds' jobs whose worker died holding them
 * (`JobQueue.giveBackAbandoned`): work handed back here and taken by a worker that died before
 * its claim would otherwise wait 12–24 s for pg-boss's heartbeat check.
 */
/** A dead holder's work goes ahead of the queue's backlog: it has waited its lease already. */
const RESUMED = { priority: HANDED_BACK_PRIORITY };
const LEASED_TABLES = ["registration_syncs", "webinars", "provider_erasures"] as const;
/** The jobs that lease those tables' rows. */
const LEASED_JOBS: JobName[] = ["registration.sync", "webinar.sync", "person.erase"];
type LeasedTable = (typeof LEASED_TABLES)[number];

export function createLeaseSweeper(deps: { db: Db; queue: JobQueue; timing: LeaseTiming }) {
  const { db, queue, timing } = deps;
  let absentBefore = new Set<number>();

  /** Holders seen absent in this sweep and the one before: their processes are dead. */
  async function deadHolders(trx: Db): Promise<number[]> {
    const held = await sql<{ holder: number }>`${sql.join(
      LEASED_TABLES.map(
        (t) => sql`SELECT lease_holder AS holder FROM ${sql.table(t)}
          WHERE lease_until IS NOT NULL AND lease_holder IS NOT NULL`,
      ),
      sql` UNION `,
    )}`.execute(trx);
    const absent = await absentHolders(
      trx,
      held.rows.map((r) => Number(r.holder)),
    );
    const dead = absent.filter((h) => absentBefore.has(h));
    absentBefore = new Set(absent);
    return dead;
  }

  /** Clears the lapsed or orphaned leases of one table; answers the rows it took. */
  async function releaseLapsed<T>(trx: Db, table: LeasedTable, dead: number[]) {
    const orphaned =
      dead.length > 0 ? sql`OR (lease_until IS NOT NULL AND lease_holder IN (${sql.join(dead)}))` : sql``;
    const result = await sql<T>`UPDATE ${sql.table(table)}
      SET lease_until = NULL, lease_token = NULL, lease_holder = NULL
      WHERE lease_until < now() ${orphaned} RETURNING *`.execute(trx);
    return result.rows;
  }

  async function sweep(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const dead = await deadHolders(trx);
      const syncs = await releaseLapsed<{ registration_id: string; webinar_id: string }>(
        trx,
        "registration_syncs",
        dead,
      );
      await queue.sendMany(
        trx,
        "registration.sync",
        syncs.map((s) => ({ registrationId: s.registration_id, webinarId: s.webinar_id })),
        RESUMED,
      );
      const webinars = await releaseLapsed<{ id: string }>(trx, "webinars", dead);
      await queue.sendMany(
        trx,
        "webinar.sync",
        webinars.map((w) => ({ webinarId: w.id })),
        RESUMED,
      );
      const erasures = await releaseLapsed<{ id: string }>(trx, "provider_erasures", dead);
      await queue.sendMany(
        trx,
        "person.erase",
        erasures.map((e) => ({ providerErasureId: e.id })),
        RESUMED,
      );
      // A worker that died between fetching a job and claiming its row (or between storing an
      // outcome and queueing what follows) leaves no lease to sweep, only its claim on the job.
      const abandoned = await queue.giveBackAbandoned(trx, LEASED_JOBS);
      return syncs.length + webinars.length + erasures.length + abandoned;
    });
  }

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  return {
    sweep,
    start(onError: (error: unknown) => void) {
      if (timer) return;
      timer = setInterval(() => {
        running = running.then(() => sweep().catch(onError));
      }, timing.heartbeatSeconds * 1000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type LeaseSweeper = ReturnType<typeof createLeaseSweeper>;
