import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sql } from "kysely";
import type { LeaseTiming } from "../../src/jobs/lease.ts";
import { LIVENESS_LOCK_CLASS } from "../../src/jobs/liveness.ts";
import { HANDED_BACK_PRIORITY } from "../../src/jobs/queue.ts";
import { createSyncWorker } from "../../src/modules/webinars/sync/index.ts";
import { ProviderError, type ProviderKind, type WebinarProvider } from "../../src/providers/contract.ts";
import { forEachBackend, type TestContext, testEnv } from "../helpers/harness.ts";
import {
  registerMany,
  type Simulator,
  startSimulator,
  waitUntil,
  webinarIdOf,
  webinarSetup,
} from "./fixtures.ts";

/**
 * Leases are fenced and renewed (src/jobs/lease.ts). A worker that stalls past its lease loses
 * the row to the next claimant, and its late result is rejected instead of overwriting the new
 * holder's; work leased by a worker that died is picked up once the (shortened) lease lapses,
 * not when the job queue gives up on the dead worker's job. The handlers run over the real ON24
 * adapter and simulator; a stalled or dead worker is one whose provider call does not return.
 */
const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/** A stalled worker does not beat: its lease lapses after `seconds`, as a frozen process's would. */
const STALLED: LeaseTiming = { seconds: 30, heartbeatSeconds: 3600 };

function worker(ctx: TestContext, on24: Partial<WebinarProvider>, lease?: LeaseTiming) {
  const real = ctx.runtime.providers.on24;
  const providers = { ...ctx.runtime.providers, on24: { ...real, ...on24 } } as Record<
    ProviderKind,
    WebinarProvider
  >;
  return createSyncWorker({
    database: ctx.database,
    queue: ctx.runtime.queue,
    providers,
    configurations: ctx.services.configurations,
    contacts: ctx.services.contacts,
    gate: ctx.runtime.gate,
    envelope: ctx.runtime.envelope,
    options: { ...(lease && { lease }) },
  });
}

/** A provider call that waits until released, then answers `value`. */
function stall<T>(value: T) {
  let entered!: () => void;
  let release!: () => void;
  const inside = new Promise<void>((r) => {
    entered = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  return {
    inside,
    release,
    call: async (): Promise<T> => {
      entered();
      await released;
      return value;
    },
  };
}

/** An organization with one event whose webinar the provider has created. */
async function provisionedWebinar(ctx: TestContext, orgName: string) {
  const org = await ctx.createOrg(orgName);
  const { eventId } = await webinarSetup(ctx, org);
  const webinarId = await webinarIdOf(ctx, eventId);
  await worker(ctx, {}).handlers["webinar.sync"]({ webinarId });
  return { org, eventId, webinarId };
}

/** The sync job of one registration to a provisioned webinar. */
async function oneRegistrationJob(ctx: TestContext, name: string) {
  const { org, eventId, webinarId } = await provisionedWebinar(ctx, name);
  const [registrationId] = await registerMany(ctx, org, eventId, 1, `${name}-`);
  return { registrationId: registrationId as string, webinarId };
}

forEachBackend("lease fence and heartbeat", (ctx) => {
  let n = 0;
  const syncRow = (registrationId: string) =>
    ctx.database.db
      .selectFrom("registration_syncs")
      .select(["state", "provider_registrant_id", "attempts"])
      .where("registration_id", "=", registrationId)
      .executeTakeFirstOrThrow();

  test("registration sync: a stalled worker's late result is rejected; the new holder's stays", async () => {
    const { org, eventId, webinarId } = await provisionedWebinar(ctx, `fence-${++n}`);
    const [registrationId] = await registerMany(ctx, org, eventId, 1, "fence-reg-");
    const job = { registrationId: registrationId as string, webinarId };
    const stalled = stall({ providerRegistrantId: "999000999", email: "stale@example.com", joinUrl: null });
    const a = worker(ctx, { register: stalled.call }, STALLED);
    const lateA = a.handlers["registration.sync"](job);
    await stalled.inside;
    // A's lease lapses while it waits (it is stalled: no heartbeat).
    await sql`UPDATE registration_syncs SET lease_until = now() - interval '1 second'
      WHERE registration_id = ${job.registrationId}`.execute(ctx.database.db);

    await worker(ctx, {}).handlers["registration.sync"](job);
    const byB = await syncRow(job.registrationId);
    assert.equal(byB.state, "synced");
    assert.ok(byB.provider_registrant_id && byB.provider_registrant_id !== "999000999");

    stalled.release();
    await lateA;
    const after = await syncRow(job.registrationId);
    assert.equal(after.provider_registrant_id, byB.provider_registrant_id, "the stalled worker overwrote it");
    assert.equal(after.state, "synced");
  });

  test("webinar sync: a stalled create's late result is rejected; the new holder's webinar stays", async () => {
    const org = await ctx.createOrg(`fence-${++n}`);
    const { eventId } = await webinarSetup(ctx, org);
    const webinarId = await webinarIdOf(ctx, eventId);
    const stalled = stall({ providerWebinarId: "999000999", joinUrl: null });
    const a = worker(ctx, { createWebinar: stalled.call }, STALLED);
    const lateA = a.handlers["webinar.sync"]({ webinarId });
    await stalled.inside;
    await sql`UPDATE webinars SET lease_until = now() - interval '1 second' WHERE id = ${webinarId}`.execute(
      ctx.database.db,
    );

    await worker(ctx, {}).handlers["webinar.sync"]({ webinarId });
    const row = () =>
      ctx.database.db
        .selectFrom("webinars")
        .select(["state", "provider_webinar_id"])
        .where("id", "=", webinarId)
        .executeTakeFirstOrThrow();
    const byB = await row();
    assert.equal(byB.state, "provisioned");
    assert.ok(byB.provider_webinar_id && byB.provider_webinar_id !== "999000999");

    stalled.release();
    await lateA;
    assert.equal(
      (await row()).provider_webinar_id,
      byB.provider_webinar_id,
      "the stalled worker overwrote it",
    );
  });

  test("erasure: a stalled worker's late failure is rejected; the new holder's done stays", async () => {
    const { org, eventId, webinarId } = await provisionedWebinar(ctx, `fence-${++n}`);
    const [registrationId] = await registerMany(ctx, org, eventId, 1, "fence-erase-");
    await worker(ctx, {}).handlers["registration.sync"]({
      registrationId: registrationId as string,
      webinarId,
    });
    const reg = await ctx.request("GET", `/api/v1/registrations/${registrationId}`, {
      token: org.tokens.viewer,
    });
    const erased = await ctx.request("DELETE", `/api/v1/contacts/${reg.body.contact.id}`, {
      token: org.tokens.admin,
    });
    assert.equal(erased.status, 202, erased.text);
    const { id: providerErasureId } = await ctx.database.db
      .selectFrom("provider_erasures")
      .select("id")
      .where("erasure_id", "=", erased.body.id)
      .executeTakeFirstOrThrow();
    const stalled = stall(undefined);
    const a = worker(
      ctx,
      {
        async erasePerson() {
          await stalled.call();
          // Its late answer is a refusal: unfenced, it would mark the erasure failed.
          throw new ProviderError("invalid", "late refusal from a stalled worker");
        },
      },
      STALLED,
    );
    const lateA = a.handlers["person.erase"]({ providerErasureId });
    await stalled.inside;
    await sql`UPDATE provider_erasures SET lease_until = now() - interval '1 second'
      WHERE id = ${providerErasureId}`.execute(ctx.database.db);

    await worker(ctx, {}).handlers["person.erase"]({ providerErasureId });
    const row = () =>
      ctx.database.db
        .selectFrom("provider_erasures")
        .select(["state", "last_error"])
        .where("id", "=", providerErasureId)
        .executeTakeFirstOrThrow();
    assert.equal((await row()).state, "done");

    stalled.release();
    await lateA;
    assert.deepEqual(await row(), { state: "done", last_error: null }, "the stalled worker overwrote it");
  });

  test("work leased by a worker that died is picked up once its shortened lease lapses", async () => {
    const lease: LeaseTiming = { seconds: 2, heartbeatSeconds: 0.5 };
    const { org, eventId, webinarId } = await provisionedWebinar(ctx, `fence-${++n}`);
    const [registrationId] = await registerMany(ctx, org, eventId, 1, "fence-dead-");
    const job = { registrationId: registrationId as string, webinarId };
    // The dead worker: it claimed the row (lease of 2 s), its call never returns, it never beats.
    const dead = stall({ providerRegistrantId: "999000999", email: "dead@example.com", joinUrl: null });
    void worker(ctx, { register: dead.call }, { seconds: lease.seconds, heartbeatSeconds: 3600 }).handlers[
      "registration.sync"
    ](job);
    await dead.inside;
    const diedAt = Date.now();
    // Its fetched job died with it: pg-boss would hand it out again only after the job's own
    // expiry (60 s). Nothing else is queued for the row.
    await sql`DELETE FROM pgboss.job WHERE name = 'registration.sync'
      AND data->>'registrationId' = ${job.registrationId}`.execute(ctx.database.db);

    const live = worker(ctx, {}, lease);
    await live.start();
    try {
      const synced = await waitUntil(
        "the dead worker's registration synced by a live worker",
        async () => {
          const r = await syncRow(job.registrationId);
          return r.state === "synced" ? r : null;
        },
        30_000,
      );
      const seconds = (Date.now() - diedAt) / 1000;
      process.stdout.write(
        `lease ${lease.seconds} s: dead holder's work synced ${seconds.toFixed(1)} s after it died\n`,
      );
      assert.notEqual(synced.provider_registrant_id, "999000999");
      // The lease lapses after 2 s and the sweep runs every 0.5 s; the rest is slack for a loaded machine.
      assert.ok(seconds < 20, `took ${seconds} s`);
    } finally {
      await live.stop();
    }
  });
});

forEachBackend(
  "leases of a dead process",
  (ctx) => {
    test("work held by a process whose liveness lock is gone is picked up long before its lease lapses", async () => {
      const job = await oneRegistrationJob(ctx, "liveness");
      const syncRow = () =>
        ctx.database.db
          .selectFrom("registration_syncs")
          .select(["state", "provider_registrant_id", "lease_token", "lease_holder"])
          .where("registration_id", "=", job.registrationId)
          .executeTakeFirstOrThrow();
      // Leases far longer than the test: only the holder's death can free the row in time.
      const long: LeaseTiming = { seconds: 300, heartbeatSeconds: 3600 };
      const stalled = stall({ providerRegistrantId: "999000999", email: "dead@example.com", joinUrl: null });
      const doomed = worker(ctx, { register: stalled.call }, long);
      doomed.startSweeper();
      await waitUntil("the liveness lock held", async () => {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND classid = ${LIVENESS_LOCK_CLASS}::oid`.execute(ctx.database.db);
        return (r.rows[0]?.n ?? 0) > 0;
      });
      const lateResult = doomed.handlers["registration.sync"](job);
      await stalled.inside;
      const held = await syncRow();
      assert.ok(held.lease_holder !== null, "the claim names its process");
      await sql`DELETE FROM pgboss.job WHERE name = 'registration.sync'
        AND data->>'registrationId' = ${job.registrationId}`.execute(ctx.database.db);

      const live = worker(ctx, {}, { seconds: 300, heartbeatSeconds: 0.5 });
      // While the holder lives, sweeps leave its row alone.
      for (let i = 0; i < 3; i++) assert.equal(await live.sweepLeases(), 0);
      assert.equal((await syncRow()).lease_token, held.lease_token, "a live holder's lease was taken");

      // The process dies: its liveness connection closes, and its call never returns.
      await doomed.stop();
      const diedAt = Date.now();
      await live.start();
      try {
        const synced = await waitUntil(
          "the dead process's registration synced by a live worker",
          async () => {
            const r = await syncRow();
            return r.state === "synced" ? r : null;
          },
          60_000,
        );
        const seconds = (Date.now() - diedAt) / 1000;
        process.stdout.write(
          `lease 300 s: a dead holder's work synced ${seconds.toFixed(1)} s after it died\n`,
        );
        assert.notEqual(synced.provider_registrant_id, "999000999");
        stalled.release();
        await lateResult;
        assert.equal((await syncRow()).provider_registrant_id, synced.provider_registrant_id);
      } finally {
        stalled.release();
        await live.stop();
      }
    });

    test("work handed back to a worker that died before its claim resumes within seconds", async () => {
      const job = await oneRegistrationJob(ctx, "taker");
      const jobsOfRow = sql`name = 'registration.sync' AND data->>'registrationId' = ${job.registrationId}`;
      await sql`DELETE FROM pgboss.job WHERE ${jobsOfRow}`.execute(ctx.database.db);
      // The sweeper handed the row back (no lease, one priority job), and a worker fetched that
      // job and died before its claim: exactly what pg-boss's fetch writes, and nothing after.
      // The kills test lands there often, as its next kill follows the victim's first claim.
      await ctx.runtime.queue.sendMany(ctx.database.db, "registration.sync", [job], {
        priority: HANDED_BACK_PRIORITY,
      });
      await sql`UPDATE pgboss.job SET state = 'active', started_on = now(), heartbeat_on = now()
        WHERE ${jobsOfRow}`.execute(ctx.database.db);
      const diedAt = Date.now();

      const live = worker(ctx, {}, { seconds: 300, heartbeatSeconds: 0.5 });
      await live.start();
      try {
        await waitUntil(
          "the registration synced by a live worker",
          async () =>
            (
              await ctx.database.db
                .selectFrom("registration_syncs")
                .select("state")
                .where("registration_id", "=", job.registrationId)
                .executeTakeFirstOrThrow()
            ).state === "synced",
          60_000,
        );
        const seconds = (Date.now() - diedAt) / 1000;
        process.stdout.write(
          `a dead taker's handed-back work synced ${seconds.toFixed(1)} s after it died\n`,
        );
        // Given back once its claim is 3 s unrefreshed, at the next sweep (0.5 s). pg-boss alone
        // gives it back after its 10 s heartbeat, at a monitor pass, after a retry delay: 12–24 s.
        assert.ok(seconds < 9, `took ${seconds.toFixed(1)} s`);
      } finally {
        await live.stop();
      }
    });
  },
  { only: "postgres" },
);
