import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { HANDED_BACK_PRIORITY } from "../../src/jobs/queue.ts";
import { forEachBackend } from "../helpers/harness.ts";

/** Well under the 60 s a job may run (expireInSeconds) that bounded a lost claim before. */
const BACK_WITHIN_MS = 40_000;

/**
 * A claim nobody will settle. When PostgreSQL cuts a worker's connection after pg-boss's
 * fetch has committed its claim but before the answer arrives, or while the batch's results
 * are being written, the jobs stay `active` under a worker that no longer knows them. In the
 * connection-cut fault test 278 jobs were left so, and nothing synced until pg-boss expired
 * them: 60 s after the claim, at a maintenance pass that ran only every 60 s (docs/performance.md).
 * The queue's heartbeat now gives such jobs back within seconds, and leaves live ones alone.
 */
forEachBackend("job queue: lost claims", (ctx) => {
  /** Exactly what pg-boss's fetch writes when it claims a job (plans.fetchNextJob). */
  const claimAndLose = (name: string) =>
    sql`UPDATE pgboss.job SET state = 'active', started_on = now(), heartbeat_on = now()
        WHERE name = ${name} AND state = 'created'`.execute(ctx.database.db);

  test("a job whose claim was lost runs again within seconds, not after its 60 s expiry", async () => {
    const queue = ctx.runtime.queue;
    await queue.send(ctx.database.db, "retention.sweep", {});
    const lost = await claimAndLose("retention.sweep");
    assert.equal(Number(lost.numAffectedRows), 1);
    const started = Date.now();
    let ranAfter: number | null = null;
    await queue.work("retention.sweep", { concurrency: 1 }, async () => {
      ranAfter ??= Date.now() - started;
    });
    while (ranAfter === null && Date.now() - started < BACK_WITHIN_MS) await sleep(250);
    assert.ok(ranAfter !== null, `the job was not given back within ${BACK_WITHIN_MS / 1000} s`);
    process.stdout.write(`# lost claim back after ${((ranAfter ?? 0) / 1000).toFixed(1)} s\n`);
  });

  test("a live claim is kept: a job running longer than the heartbeat window runs once", async () => {
    const queue = ctx.runtime.queue;
    let runs = 0;
    let done = false;
    await queue.work("keys.rewrap", { concurrency: 1 }, async () => {
      runs += 1;
      await sleep(22_000);
      done = true;
    });
    await queue.send(ctx.database.db, "keys.rewrap", {});
    const started = Date.now();
    while (!done && Date.now() - started < 45_000) await sleep(250);
    await sleep(1_000);
    assert.ok(done, "the job finished");
    assert.equal(runs, 1);
    const { rows } = await sql<{ state: string; retry_count: number }>`
      SELECT state, retry_count FROM pgboss.job WHERE name = 'keys.rewrap'`.execute(ctx.database.db);
    assert.deepEqual(rows, [{ state: "completed", retry_count: 0 }]);
  });
});

forEachBackend("job queue: concurrency", (ctx) => {
  test("a worker of concurrency 10 runs ten jobs at once, never more", async () => {
    const queue = ctx.runtime.queue;
    await queue.sendMany(
      ctx.database.db,
      "webinar.sync",
      Array.from({ length: 40 }, (_, i) => ({ webinarId: `w-${i}` })),
    );
    let running = 0;
    let most = 0;
    let done = 0;
    await queue.work("webinar.sync", { concurrency: 10 }, async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(400);
      running -= 1;
      done += 1;
    });
    const started = Date.now();
    while (done < 40 && Date.now() - started < 60_000) await sleep(100);
    assert.equal(done, 40);
    // Each loop fetches as many as it has lanes; rounded up per loop, 10 was 12 in flight.
    assert.equal(most, 10);
  });
});

forEachBackend("job queue: work handed back", (ctx) => {
  test("work handed back from a dead worker starts at once, while every lane is busy", async () => {
    const queue = ctx.runtime.queue;
    const startedAt = new Map<string, number>();
    await queue.work("person.erase", { concurrency: 2, handedBack: 1 }, async ({ providerErasureId }) => {
      startedAt.set(providerErasureId, Date.now());
      if (providerErasureId.startsWith("busy")) await sleep(6_000);
    });
    await queue.sendMany(ctx.database.db, "person.erase", [
      { providerErasureId: "busy-1" },
      { providerErasureId: "busy-2" },
    ]);
    while (startedAt.size < 2) await sleep(50);
    const handedBack = Date.now();
    // What the lease sweeper sends for a dead holder's row (src/jobs/lease.ts).
    await queue.sendMany(ctx.database.db, "person.erase", [{ providerErasureId: "resumed" }], {
      priority: HANDED_BACK_PRIORITY,
    });
    while (!startedAt.has("resumed") && Date.now() - handedBack < 20_000) await sleep(50);
    const waited = (startedAt.get("resumed") ?? Number.POSITIVE_INFINITY) - handedBack;
    // Without a lane of its own it waits for a busy lane's batch to end (6 s here).
    assert.ok(waited < 3_000, `work handed back waited ${waited} ms`);
  });
});

forEachBackend(
  "job queue: claims a dead worker left",
  (ctx) => {
    test("a leased kind's claim is given back once unrefreshed for 3 s; a live one, never", async () => {
      const queue = ctx.runtime.queue;
      const runs = new Map<string, number>();
      let finished = 0;
      // A kind with handed-back lanes refreshes its claims every second while its handler runs.
      await queue.work("person.erase", { concurrency: 2, handedBack: 1 }, async ({ providerErasureId }) => {
        runs.set(providerErasureId, (runs.get(providerErasureId) ?? 0) + 1);
        await sleep(7_000);
        finished += 1;
      });
      await queue.sendMany(ctx.database.db, "person.erase", [{ providerErasureId: "live" }]);
      while (!runs.has("live")) await sleep(50);
      // Claimed by a worker that died at once: never refreshed.
      await queue.send(
        ctx.database.db,
        "person.erase",
        { providerErasureId: "dead" },
        { startAfterSeconds: 3600 },
      );
      await sql`UPDATE pgboss.job SET state = 'active', started_on = now(), heartbeat_on = now()
        WHERE name = 'person.erase' AND data->>'providerErasureId' = 'dead'`.execute(ctx.database.db);
      const diedAt = Date.now();
      let givenBack = 0;
      while (finished < 1) {
        givenBack += await queue.giveBackAbandoned(ctx.database.db, ["person.erase"]);
        if (givenBack > 0 && !runs.has("dead"))
          assert.ok(Date.now() - diedAt >= 2_900, "given back too soon");
        await sleep(250);
      }
      assert.equal(givenBack, 1, "only the dead worker's claim is given back");
      assert.equal(runs.get("live"), 1, "the live claim ran once");
      while (!runs.has("dead") && Date.now() - diedAt < 20_000) await sleep(50);
      assert.equal(runs.get("dead"), 1, "the dead worker's job runs again");
    });
  },
  { only: "postgres" },
);
