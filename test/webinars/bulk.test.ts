import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startZoomSimulator } from "../../simulators/zoom/server.ts";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import { acceptTerms, addConfiguration, addWebinarEvent } from "../helpers/webinar-setup.ts";
import {
  registerMany,
  type Simulator,
  startSimulator,
  waitSynced,
  waitUntil,
  webinarSetup,
} from "./fixtures.ts";

/**
 * Batch registration of backlogs (Zoom: batch_registrants, 30 at a time) through the real
 * sync engine against the Zoom simulator; ON24 (no batch) keeps the single path.
 */
const ZOOM = {
  accountId: "acct-bulk",
  clientId: "client-bulk",
  clientSecret: "SECRET-bulk-zoom",
  webhookSecretToken: "WEBHOOK-bulk-zoom",
};
const zoom = await startZoomSimulator({
  accounts: [{ accountId: ZOOM.accountId, clientId: ZOOM.clientId, clientSecret: ZOOM.clientSecret }],
  seed: 5,
});
const on24: Simulator = await startSimulator();
testEnv.AUDITORIUM_ZOOM_API_URL = zoom.apiUrl;
testEnv.AUDITORIUM_ZOOM_OAUTH_URL = zoom.oauthUrl;
testEnv.AUDITORIUM_ON24_NA_URL = on24.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = on24.baseUrls.EU;
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "12";
after(async () => {
  await zoom.close();
  await on24.close();
});

const BATCH = "POST /webinars/{webinarId}/batch_registrants";
const SINGLE = "POST /webinars/{webinarId}/registrants";
const calls = (endpoint: string) => zoom.state.requests.byEndpoint[endpoint] ?? 0;

async function simRegistrants(webinarId: string) {
  const res = await fetch(`${zoom.url}/_sim/webinars/${webinarId}/registrants`);
  return (await res.json()) as {
    email: string;
    providerRegistrantId: string;
    createdCount: number;
    joinUrl: string;
  }[];
}

/** Terms, a Zoom configuration, and an event that runs as a Zoom webinar (type 5). */
async function zoomSetup(ctx: TestContext, org: TestOrg) {
  await acceptTerms(ctx, org);
  return addConfiguration(ctx, org, {
    provider: "zoom",
    name: "Zoom",
    requestsPerSecond: 200,
    credentials: ZOOM,
  });
}

const zoomEvent = (ctx: TestContext, org: TestOrg, configId: string) =>
  addWebinarEvent(ctx, org, configId, { title: "Batch webinar", webinarType: "5" });

async function providerWebinarId(ctx: TestContext, org: TestOrg, eventId: string) {
  return waitUntil("webinar provisioned", async () => {
    const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer });
    return res.body.data[0]?.providerWebinarId as string | undefined;
  });
}

/** Every registration synced with the simulator's own registrant id and personal link; each created once. */
async function assertOncePerPerson(ctx: TestContext, eventId: string, webinarKey: string, count: number) {
  const registrants = await simRegistrants(webinarKey);
  assert.equal(registrants.length, count, "registrants at Zoom");
  assert.ok(
    registrants.every((r) => r.createdCount === 1),
    "someone was registered twice",
  );
  const bySim = new Map(registrants.map((r) => [r.email, r]));
  const rows = await ctx.database.db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select(["c.email", "s.state", "s.provider_registrant_id", "s.join_url"])
    .where("r.event_id", "=", eventId)
    .execute();
  assert.equal(rows.length, count);
  for (const row of rows) {
    const sim = bySim.get(row.email);
    assert.ok(sim, `${row.email} missing at Zoom`);
    assert.equal(row.state, "synced");
    assert.equal(row.provider_registrant_id, sim.providerRegistrantId);
    assert.equal(row.join_url, sim.joinUrl, "the personal join link is stored");
  }
}

forEachBackend("batch registration", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("bulk-org");
  });

  test("a backlog of 90 goes to Zoom in a handful of batch calls, each person exactly once", async () => {
    const configId = await zoomSetup(ctx, org);
    const eventId = await zoomEvent(ctx, org, configId);
    // Registered before any worker runs: the webinar is provisioned with a backlog of 90.
    await registerMany(ctx, org, eventId, 90, "bulk");
    const batchesBefore = calls(BATCH);
    const singlesBefore = calls(SINGLE);
    await ctx.services.syncWorker.start();
    await waitSynced(ctx, eventId, 90, "90 synced", 90_000);
    const batches = calls(BATCH) - batchesBefore;
    const singles = calls(SINGLE) - singlesBefore;
    console.log(`90 registrations: ${batches} batch calls, ${singles} single calls`);
    assert.ok(batches >= 3 && batches <= 8, `batch calls: ${batches}`);
    assert.ok(singles <= 8, `single calls: ${singles}`);
    await assertOncePerPerson(ctx, eventId, await providerWebinarId(ctx, org, eventId), 90);
  });

  test("faults before and after Zoom applied a batch: retries look up first, nobody twice", async () => {
    const own = await ctx.createOrg("bulk-faults");
    const configId = await zoomSetup(ctx, own);
    // The webinar exists at Zoom before the faults start: this test is about batches, and a
    // webinar created under half of all writes failing waited for the breaker (15 s a time)
    // for up to 80 s (provisioning under faults: test/providers/guarantees).
    const eventId = await zoomEvent(ctx, own, configId);
    const webinarKey = await providerWebinarId(ctx, own, eventId);
    // Switched off while the backlog builds, so it is released at once when switched back on.
    const off = await ctx.request("DELETE", `/api/v1/webinar-configurations/${configId}/credentials`, {
      token: own.tokens.admin,
    });
    assert.equal(off.status, 200, off.text);
    await registerMany(ctx, own, eventId, 60, "fault");
    // Every add makes a new registrant at the simulator, so a repeated add would show.
    await fetch(`${zoom.url}/_sim/knobs`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ faultRate: 0.2, faultAfterCommitRate: 0.4, duplicateRegistrants: true }),
    });
    try {
      const on = await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
        token: own.tokens.admin,
        body: { credentials: ZOOM },
      });
      assert.equal(on.status, 200, on.text);
      await waitSynced(ctx, eventId, 60, "60 synced", 120_000);
    } finally {
      await fetch(`${zoom.url}/_sim/knobs`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ faultRate: 0, faultAfterCommitRate: 0, duplicateRegistrants: false }),
      });
    }
    await assertOncePerPerson(ctx, eventId, webinarKey, 60);
  });

  test("ON24 has no batch: the single path registers each person once", async () => {
    const own = await ctx.createOrg("bulk-on24");
    const { eventId } = await webinarSetup(ctx, own);
    await registerMany(ctx, own, eventId, 30, "single");
    await waitSynced(ctx, eventId, 30, "30 synced");
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer })
    ).body.data[0];
    const report = on24.state.registrantReport(Number(webinar.providerWebinarId))[0];
    assert.equal(report?.count, 30);
    assert.ok(report?.registrants.every((r) => r.createCount === 1));
  });
});
