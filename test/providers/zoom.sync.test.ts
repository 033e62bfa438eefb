import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";
import { startZoomSim, ZOOM_TEST_ACCOUNT } from "../simulators/zoom-harness.ts";
import { registerMany, syncCounts, waitSynced, waitUntil } from "../webinars/fixtures.ts";

/**
 * Zoom through the real service: API, sync engine (pg-boss), credential store, adapter and the
 * simulator over HTTP. The simulator runs with `duplicateRegistrants` on, so a second create
 * by the engine would show (Zoom itself would hide it by answering the existing registrant).
 */
const sim = await startZoomSim({ duplicateRegistrants: true });
testEnv.AUDITORIUM_ZOOM_API_URL = sim.apiUrl;
testEnv.AUDITORIUM_ZOOM_OAUTH_URL = sim.oauthUrl;
after(() => sim.close());

type SimRegistrant = {
  email: string;
  providerRegistrantId: string;
  status: string;
  createdCount: number;
  joinUrl: string;
};
const simRegistrants = async (webinarId: string) =>
  (await (await fetch(`${sim.url}/_sim/webinars/${webinarId}/registrants`)).json()) as SimRegistrant[];

async function zoomSetup(ctx: TestContext, org: TestOrg) {
  return webinarEvent(ctx, org, {
    provider: "zoom",
    name: "Zoom",
    requestsPerSecond: 50,
    credentials: ZOOM_TEST_ACCOUNT,
    event: { title: "Zoom webinar under test", webinarType: "5" },
  });
}

forEachBackend("webinar sync with Zoom", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("zoom-org");
    await ctx.services.syncWorker.start();
  });

  test("a wrong secret checks as not authenticated, never shown, and holds work until it is fixed", async () => {
    const own = await ctx.createOrg("zoom-check");
    const { configId, eventId } = await zoomSetup(ctx, own);
    const check = () =>
      ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, { token: own.tokens.admin });
    const healthy = await check();
    assert.equal(healthy.body.health.status, "healthy", healthy.text);
    // Provisioned first, so the registrations below are the work that meets the refusal.
    await waitUntil("provisioned", async () => {
      const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, {
        token: own.tokens.viewer,
      });
      return res.body.data[0]?.state === "provisioned";
    });
    const patched = await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
      token: own.tokens.admin,
      body: { credentials: { clientSecret: "wrong-zoom-secret-value" } },
    });
    assert.equal(patched.status, 200, patched.text);
    const refused = await check();
    assert.equal(refused.body.health.status, "not_authenticated");
    for (const secret of [
      "wrong-zoom-secret-value",
      ZOOM_TEST_ACCOUNT.clientSecret,
      ZOOM_TEST_ACCOUNT.webhookSecretToken,
    ]) {
      assert.ok(!refused.text.includes(secret));
      assert.ok(!ctx.logs.join("\n").includes(secret));
    }
    // Work that meets the refused credential is held, not failed, and resumes with the right one.
    await registerMany(ctx, own, eventId, 2, "zheld");
    await waitUntil("held", async () => (await syncCounts(ctx, eventId)).held === 2);
    await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
      token: own.tokens.admin,
      body: { credentials: { clientSecret: ZOOM_TEST_ACCOUNT.clientSecret } },
    });
    await waitSynced(ctx, eventId, 2, "synced after the fix");
  });

  test("registrations reach Zoom once each with personal join links; attendance and cancellation follow", async () => {
    const { eventId } = await zoomSetup(ctx, org);
    const ids = await registerMany(ctx, org, eventId, 12, "zsync");
    await waitSynced(ctx, eventId, 12, "all synced");
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer })
    ).body.data[0];
    assert.equal(webinar.state, "provisioned");
    assert.equal(sim.state.webinars.get(Number(webinar.providerWebinarId))?.type, 5);

    const held = await simRegistrants(webinar.providerWebinarId);
    assert.equal(held.length, 12);
    assert.ok(held.every((r) => r.createdCount === 1 && r.status === "registered"));
    const list = await ctx.request("GET", `/api/v1/events/${eventId}/registrations?limit=100`, {
      token: org.tokens.viewer,
    });
    assert.equal(list.body.data.length, 12);
    for (const reg of list.body.data) {
      const mine = reg.webinar[0];
      assert.equal(mine.state, "synced");
      const theirs = held.find((r) => r.email === reg.contact.email);
      assert.ok(theirs, reg.contact.email);
      assert.equal(mine.joinUrl, theirs.joinUrl, "the personal link Zoom issued, not the webinar's");
    }
    assert.equal(
      new Set(list.body.data.map((r: { webinar: { joinUrl: string }[] }) => r.webinar[0]?.joinUrl)).size,
      12,
    );

    // Attendance: three people, several join segments each, summed by the adapter.
    const attendees = [
      { email: "zsync0@example.com", minutes: 42, segments: 3 },
      { email: "zsync1@example.com", minutes: 17, segments: 2 },
      { email: "zsync2@example.com", minutes: 5, segments: 1 },
    ];
    const run = await fetch(`${sim.url}/_sim/webinars/${webinar.providerWebinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendees }),
    });
    const recorded = ((await run.json()) as { minutes: Record<string, number> }).minutes;
    await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, { token: org.tokens.marketer });
    const rows = await waitUntil("attendance stored", async () => {
      const r = await ctx.database.db
        .selectFrom("attendance as a")
        .innerJoin("registrations as g", "g.id", "a.registration_id")
        .innerJoin("contacts as c", "c.id", "g.contact_id")
        .select(["c.email", "a.live_minutes"])
        .where("g.event_id", "=", eventId)
        .where("a.live_minutes", ">", 0)
        .execute();
      return r.length === 3 ? r : null;
    });
    for (const a of attendees) {
      assert.equal(rows.find((r) => r.email === a.email)?.live_minutes, recorded[a.email], a.email);
    }

    await ctx.request("POST", `/api/v1/registrations/${ids[5]}/cancel`, { token: org.tokens.marketer });
    await waitUntil("cancel reached Zoom", async () =>
      (await simRegistrants(webinar.providerWebinarId)).some(
        (r) => r.email === "zsync5@example.com" && r.status === "cancelled",
      ),
    );
    await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: org.tokens.marketer });
    await waitUntil(
      "webinar deleted at Zoom",
      async () => sim.state.webinars.get(Number(webinar.providerWebinarId))?.deleted,
    );
  });

  test("under faults before and after Zoom applies a write, nobody is lost or registered twice", async (t) => {
    const own = await ctx.createOrg("zoom-faults");
    const { eventId } = await zoomSetup(ctx, own);
    // Provision first, so the faults hit registrations (a lost answer to a webinar create is the
    // documented provisioning gap, not what this test is about).
    await registerMany(ctx, own, eventId, 1, "zwarm");
    await waitSynced(ctx, eventId, 1, "provisioned");
    const faultedBefore = sim.state.requests.faulted;
    try {
      // Certain first, for one registration: a write refused before Zoom applied it, then one
      // Zoom applied and answered with a fault. The attempt after that must find the
      // registrant instead of adding it again.
      sim.state.setKnobs({ faultRate: 1, faultAfterCommitRate: 0 });
      await registerMany(ctx, own, eventId, 1, "zsure");
      await waitUntil("a write refused before it was applied", async () => {
        const failedOnce = await ctx.database.db
          .selectFrom("registration_syncs as s")
          .innerJoin("registrations as r", "r.id", "s.registration_id")
          .select("s.registration_id")
          .where("r.event_id", "=", eventId)
          .where("s.state", "=", "pending")
          .where("s.last_error", "is not", null)
          .executeTakeFirst();
        return failedOnce !== undefined;
      });
      sim.state.setKnobs({ faultRate: 0, faultAfterCommitRate: 1 });
      await waitSynced(ctx, eventId, 2, "synced after an applied write answered with a fault");
      const sure = sim.state.requests.faulted - faultedBefore;
      assert.ok(sure >= 2, `a fault before and one after the write (${sure})`);
      // Then at random, in batches and alone. A registration fails for good only if all its 8
      // attempts meet a fault before Zoom applies them: 0.2^8 for each of 60, about 1 run in
      // 6,000 (at 0.3 and 5 attempts it was 1 run in 7, and a run on the project's CI met it).
      sim.state.setKnobs({ faultRate: 0.2, faultAfterCommitRate: 0.3 });
      await registerMany(ctx, own, eventId, 60, "zfault");
      await waitSynced(ctx, eventId, 62, "all synced", 120_000);
    } finally {
      sim.state.setKnobs({ faultRate: 0, faultAfterCommitRate: 0 });
    }
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer })
    ).body.data[0];
    t.diagnostic(
      `zoom faults: ${sim.state.requests.faulted - faultedBefore} faulted writes, ` +
        `${sim.state.requests.byEndpoint["POST /webinars/{webinarId}/batch_registrants"] ?? 0} batch calls, ` +
        `${sim.state.requests.byEndpoint["POST /webinars/{webinarId}/registrants"] ?? 0} single registrations so far`,
    );
    const held = await simRegistrants(webinar.providerWebinarId);
    assert.equal(new Set(held.map((r) => r.email)).size, 62);
    assert.deepEqual(
      held.filter((r) => r.createdCount !== 1).map((r) => r.email),
      [],
      "every e-mail created exactly once",
    );
  });
});
