import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { startZoomSimulator } from "../../simulators/zoom/server.ts";
import type { JobQueue } from "../../src/jobs/queue.ts";
import { createBulkRegistrar } from "../../src/modules/webinars/sync/bulk-register.ts";
import type { ProviderCaller } from "../../src/modules/webinars/sync/provider-call.ts";
import type { RegistrantSpec, WebinarProvider } from "../../src/providers/contract.ts";
import { BATCH_MAX as ZOOM_BATCH_MAX } from "../../src/providers/zoom/adapter.ts";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import { zoomWebinar } from "../helpers/webinar-setup.ts";
import { registerMany, waitSynced, waitUntil } from "./fixtures.ts";

/**
 * The pg-boss jobs of a batch (bulk-register.ts): the lead deletes the queued jobs of the
 * registrations it stored, in the transaction that stores them, so a drained backlog does not
 * fetch one job per registration. Counted by payload, not by the key the deletion uses.
 */
const ZOOM = {
  accountId: "acct-bulk-jobs",
  clientId: "client-bulk-jobs",
  clientSecret: "SECRET-bulk-jobs-zoom",
  webhookSecretToken: "WEBHOOK-bulk-jobs-zoom",
};
const zoom = await startZoomSimulator({
  accounts: [{ accountId: ZOOM.accountId, clientId: ZOOM.clientId, clientSecret: ZOOM.clientSecret }],
  seed: 7,
});
testEnv.AUDITORIUM_ZOOM_API_URL = zoom.apiUrl;
testEnv.AUDITORIUM_ZOOM_OAUTH_URL = zoom.oauthUrl;
// One lane: the drain below then fetches a job only after the batch before it has stored its
// answer, so what it counts is whether the leads deleted the others' jobs, not how far the
// lanes got while a batch was at Zoom (68 of 90 once on a loaded machine with 25 lanes; the
// bulk benchmark measures the default lanes' throughput).
testEnv.AUDITORIUM_WORKER_CONCURRENCY = "1";
after(() => zoom.close());

/** A Zoom configuration and one event on it; the webinar row exists (provisioned or not). */
async function zoomEvent(ctx: TestContext, org: TestOrg) {
  const { eventId } = await zoomWebinar(ctx, org, ZOOM, { title: "Batch jobs" });
  const webinar = await ctx.database.db
    .selectFrom("webinars")
    .select(["id", "configuration_id"])
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  return { eventId, webinarId: webinar.id, configurationId: webinar.configuration_id };
}

/** The registration.sync jobs of one webinar, by pg-boss state. */
async function jobStates(ctx: TestContext, webinarId: string) {
  const rows = await sql<{ state: string; n: number }>`
    SELECT state::text AS state, count(*)::int AS n FROM pgboss.job
    WHERE name = 'registration.sync' AND data->>'webinarId' = ${webinarId}
    GROUP BY state`.execute(ctx.database.db);
  return Object.fromEntries(rows.rows.map((r) => [r.state, Number(r.n)])) as Record<string, number>;
}
const queued = (s: Record<string, number>) => (s.created ?? 0) + (s.retry ?? 0);

/** Zoom-like batch provider that answers everyone; `during` runs while the call is "at Zoom". */
function fakeBatchProvider(during?: () => Promise<void>) {
  return {
    kind: "zoom",
    bulkRegisterMax: 30,
    async bulkRegister(_account: unknown, _webinar: string, people: RegistrantSpec[]) {
      await during?.();
      return people.map((p) => ({ email: p.email, providerRegistrantId: `id-${p.email}`, joinUrl: null }));
    },
  } as unknown as WebinarProvider;
}
const answering = (provider: WebinarProvider): ProviderCaller =>
  (async (_configurationId, fn) => ({
    kind: "ok",
    value: await fn(provider, { credentials: {}, settings: {} }),
  })) as ProviderCaller;

forEachBackend("batch registration jobs", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("bulk-jobs");
  });

  test("a lead that dies while storing the answer deletes no job; the rows stay leased for the single path", async () => {
    // No worker runs: every job is queued, the lead's own included.
    const { eventId, webinarId, configurationId } = await zoomEvent(ctx, org);
    const ids = await registerMany(ctx, org, eventId, 30, "crash");
    assert.equal(queued(await jobStates(ctx, webinarId)), 30);
    const queue = ctx.services.syncWorker.queue;
    let deletedInside = 0;
    const dying: JobQueue = {
      ...queue,
      async finishQueued(executor, name, keys) {
        deletedInside = await queue.finishQueued(executor, name, keys);
        throw new Error("worker died before commit");
      },
    };
    const provider = fakeBatchProvider();
    const registerBatch = createBulkRegistrar({
      db: ctx.database.db,
      queue: dying,
      call: answering(provider),
    });
    const lead = {
      registrationId: ids[0] as string,
      webinarId,
      configurationId,
      providerWebinarId: "123",
      webinarJoinUrl: null,
    };
    await assert.rejects(registerBatch(provider, lead, false), /worker died/);

    assert.equal(deletedInside, 30, "the store deleted the batch's queued jobs in its transaction");
    assert.equal(queued(await jobStates(ctx, webinarId)), 30, "rolled back with the store");
    const rows = await ctx.database.db
      .selectFrom("registration_syncs")
      .select(["state", "attempts", "provider_registrant_id", sql<boolean>`lease_until > now()`.as("leased")])
      .where("webinar_id", "=", webinarId)
      .execute();
    assert.equal(rows.length, 30);
    for (const row of rows) {
      // attempts = 1: whoever takes the row after the lease looks the person up first.
      assert.deepEqual(
        { ...row, leased: Boolean(row.leased) },
        { state: "pending", attempts: 1, provider_registrant_id: null, leased: true },
      );
    }
  });

  test("a cancellation stored while the batch was at the provider keeps its jobs", async () => {
    const { eventId, webinarId, configurationId } = await zoomEvent(ctx, org);
    const ids = await registerMany(ctx, org, eventId, 5, "cancel");
    const cancelled = ids[4] as string;
    const queue = ctx.services.syncWorker.queue;
    const provider = fakeBatchProvider(async () => {
      // What the planner does for a cancellation: the new desired state and a job, committed.
      await ctx.database.db.transaction().execute(async (trx) => {
        await trx
          .updateTable("registration_syncs")
          .set({ desired: "cancelled", attempts: 0, updated_at: new Date() })
          .where("webinar_id", "=", webinarId)
          .where("registration_id", "=", cancelled)
          .execute();
        await queue.send(trx, "registration.sync", { registrationId: cancelled, webinarId });
      });
    });
    const registerBatch = createBulkRegistrar({ db: ctx.database.db, queue, call: answering(provider) });
    const outcome = await registerBatch(
      provider,
      {
        registrationId: ids[0] as string,
        webinarId,
        configurationId,
        providerWebinarId: "123",
        webinarJoinUrl: null,
      },
      false,
    );
    assert.equal(outcome, "batched");

    const left = await sql<{ registration_id: string }>`
      SELECT data->>'registrationId' AS registration_id FROM pgboss.job
      WHERE name = 'registration.sync' AND data->>'webinarId' = ${webinarId} AND state < 'active'`.execute(
      ctx.database.db,
    );
    assert.deepEqual(
      left.rows.map((r) => r.registration_id),
      [cancelled, cancelled],
      "only the cancelled row's jobs (the original and the cancellation's) remain",
    );
    const row = await ctx.database.db
      .selectFrom("registration_syncs")
      .select(["state", "desired", "provider_registrant_id"])
      .where("webinar_id", "=", webinarId)
      .where("registration_id", "=", cancelled)
      .executeTakeFirstOrThrow();
    // The registrant id is kept, so the cancellation's job can cancel it at the provider.
    assert.deepEqual(row, {
      state: "synced",
      desired: "cancelled",
      provider_registrant_id: "id-cancel4@example.com",
    });
  });

  test("a drained backlog fetches one job per batch and leaves none behind", async () => {
    const own = await ctx.createOrg("bulk-jobs-drain");
    const { eventId, webinarId } = await zoomEvent(ctx, own);
    // Provisioned before the backlog (as in bench/bulk.ts), so the drain starts with one queued
    // job per registration, not also the jobs the worker would skip while provisioning.
    await ctx.services.syncWorker.handlers["webinar.sync"]({ webinarId });
    await registerMany(ctx, own, eventId, 90, "drain");
    assert.equal(queued(await jobStates(ctx, webinarId)), 90);
    await ctx.services.syncWorker.start();
    await waitSynced(ctx, eventId, 90, "90 synced", 90_000);
    // A first attempt that stepped back for a batch in flight may still hold a job for a moment.
    const states = await waitUntil("no job left to run", async () => {
      const s = await jobStates(ctx, webinarId);
      return queued(s) === 0 && !s.active && s;
    });
    const fetched = (states.completed ?? 0) + (states.failed ?? 0);
    console.log(`90 registrations: ${fetched} registration.sync jobs fetched`, states);
    assert.equal(states.failed ?? 0, 0);
    // Each job fetched led a batch of 30 and deleted the other 29 jobs in the transaction that
    // stored them: 90 if the deletion were lost, more if a batch had been sent twice.
    assert.equal(fetched, Math.ceil(90 / ZOOM_BATCH_MAX), `jobs fetched: ${fetched}`);

    const registrants = (await (
      await fetch(
        `${zoom.url}/_sim/webinars/${(await ctx.database.db.selectFrom("webinars").select("provider_webinar_id").where("id", "=", webinarId).executeTakeFirstOrThrow()).provider_webinar_id}/registrants`,
      )
    ).json()) as { createdCount: number }[];
    assert.equal(registrants.length, 90);
    assert.ok(
      registrants.every((r) => r.createdCount === 1),
      "someone was registered twice",
    );
  });
});
