// The Teams adapter through the REAL sync engine: a Teams configuration, a webinar event,
// registrations → provisioned and registered at the Graph simulator exactly once; cancellation
// follows; a run's attendance comes back as minutes on the registrations.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";
import {
  simJson,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
  type TeamsSim,
} from "../simulators/teams-fixtures.ts";
import { registerMany, waitSynced, waitUntil } from "../webinars/fixtures.ts";

const sim: TeamsSim = await startTeamsSim();
testEnv.AUDITORIUM_GRAPH_URL = sim.graphUrl;
testEnv.AUDITORIUM_MS_LOGIN_URL = sim.loginUrl;
// A registration fails for good only if each attempt meets a fault before Teams applies it
// (0.2 × 0.5 below): 0.1^8 with the default 8 attempts; at 4 it was about 1 run in 800.
after(() => sim.close());

forEachBackend("webinar sync with Microsoft Teams", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("teams-org");
    await ctx.services.syncWorker.start();
  });

  async function setup(own: TestOrg) {
    const { configId, eventId } = await webinarEvent(ctx, own, {
      provider: "teams",
      name: "Teams",
      settings: { tenantId: TEAMS_TENANT, organizerUserId: TEAMS_ORGANIZER },
      requestsPerSecond: 200,
      credentials: TEAMS_APP,
      event: { title: "Teams webinar under test", webinarType: "webinar" },
    });
    return { configId, eventId };
  }

  test("checking the configuration reaches Graph and reports healthy", async () => {
    const { configId } = await setup(org);
    const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
      token: org.tokens.admin,
    });
    assert.equal(checked.body.health.status, "healthy", checked.text);
  });

  test("registrations reach Teams once (204 + lookup), cancellations follow, attendance comes back", async () => {
    const own = await ctx.createOrg("teams-sync");
    const { eventId } = await setup(own);
    sim.state.setKnobs({ faultRate: 0.2, faultAfterCommitShare: 0.5 });
    let ids: string[];
    try {
      ids = await registerMany(ctx, own, eventId, 12, "teams");
      await waitSynced(ctx, eventId, 12, "all synced", 90_000);
    } finally {
      sim.state.setKnobs({ faultRate: 0 });
    }
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer })
    ).body.data[0];
    assert.equal(webinar.state, "provisioned");
    assert.equal(sim.state.events.get(webinar.providerWebinarId)?.status, "published");
    const held = await simJson(sim, `/webinars/${webinar.providerWebinarId}/registrants`);
    assert.equal(held.length, 12);
    assert.ok(
      held.every((r: { createdCount: number }) => r.createdCount === 1),
      "a duplicate registration at Teams",
    );
    const first = await ctx.request("GET", `/api/v1/registrations/${ids[0]}`, { token: own.tokens.viewer });
    const joinWebUrl = sim.state.events.get(webinar.providerWebinarId)?.sessions[0]?.joinWebUrl;
    assert.equal(first.body.webinar[0].joinUrl, joinWebUrl);

    await ctx.request("POST", `/api/v1/registrations/${ids[0]}/cancel`, { token: own.tokens.marketer });
    await waitUntil("cancel reached Teams", async () => {
      const rows = await simJson(sim, `/webinars/${webinar.providerWebinarId}/registrants`);
      return rows.find((r: { email: string }) => r.email === "teams0@example.com")?.status === "cancelled";
    });

    const run = await simJson(sim, `/webinars/${webinar.providerWebinarId}/run`, {
      attendees: [
        { email: "teams1@example.com", minutes: 42, intervals: 3 },
        { email: "teams2@example.com", minutes: 7 },
        { email: "guest@example.com", minutes: 11 },
      ],
    });
    await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, { token: own.tokens.marketer });
    await waitUntil("attendance stored", async () => {
      const w = (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer }))
        .body.data[0];
      return w.lastMetricsAt ? w : null;
    });
    for (const [i, email] of [
      [1, "teams1@example.com"],
      [2, "teams2@example.com"],
    ] as const) {
      const reg = await ctx.request("GET", `/api/v1/registrations/${ids[i]}`, { token: own.tokens.viewer });
      assert.equal(reg.body.webinar[0].liveMinutes, run.minutes[email], email);
    }
    const quiet = await ctx.request("GET", `/api/v1/registrations/${ids[3]}`, { token: own.tokens.viewer });
    assert.ok(!quiet.body.webinar[0].liveMinutes, "someone who did not attend has no minutes");
    // The walk-in Teams reported is now a registration of the event, sourced from the provider.
    const list = await ctx.request("GET", `/api/v1/events/${eventId}/registrations?limit=100`, {
      token: own.tokens.viewer,
    });
    assert.equal(list.body.data.length, 13);

    await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: own.tokens.marketer });
    await waitUntil(
      "webinar cancelled at Teams",
      async () => sim.state.events.get(webinar.providerWebinarId)?.status === "canceled",
    );
  });

  test("after the cycle: no Teams secret or attendee e-mail in the logs", async () => {
    const logs = ctx.logs.join("");
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(TEAMS_APP.clientSecret));
    assert.doesNotMatch(logs, /@example\.com/);
  });
});
