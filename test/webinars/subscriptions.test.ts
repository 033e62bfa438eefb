import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";
import {
  simJson,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
  type TeamsSim,
} from "../simulators/teams-fixtures.ts";
import { registerMany, syncCounts, waitUntil } from "./fixtures.ts";

/**
 * Change-notification subscriptions through the real engine against the Graph simulator:
 * created for a provisioned Teams webinar with our public webhook URL (the simulator runs
 * Graph's validation handshake against the running app), renewed before expiry, made anew
 * when Graph forgot it, held by a switch-off, ended with the webinar; notifications with
 * the live clientState bring attendance in within seconds.
 */
const sim: TeamsSim = await startTeamsSim();
testEnv.AUDITORIUM_GRAPH_URL = sim.graphUrl;
testEnv.AUDITORIUM_MS_LOGIN_URL = sim.loginUrl;

/** The app listens here, so it is the public URL Graph is given. */
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
testEnv.AUDITORIUM_PUBLIC_URL = `http://127.0.0.1:${port}`;
after(() => sim.close());

interface SimSubscription {
  id: string;
  resource: string;
  clientState: string;
  notificationUrl: string;
  expirationDateTime: string;
}

async function setup(ctx: TestContext, org: TestOrg) {
  const { configId, eventId } = await webinarEvent(ctx, org, {
    provider: "teams",
    name: "Teams",
    settings: { tenantId: TEAMS_TENANT, organizerUserId: TEAMS_ORGANIZER },
    requestsPerSecond: 200,
    credentials: TEAMS_APP,
    event: { title: "Subscribed webinar", webinarType: "webinar" },
  });
  const webinar = await waitUntil("provisioned", async () => {
    const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, {
      token: org.tokens.viewer,
    });
    const w = res.body.data[0];
    return w?.providerWebinarId ? (w as { id: string; providerWebinarId: string }) : null;
  });
  return { configId, eventId, webinar };
}

const subscriptionRow = (ctx: TestContext, webinarId: string) =>
  ctx.database.db
    .selectFrom("webhook_subscriptions")
    .selectAll()
    .where("webinar_id", "=", webinarId)
    .executeTakeFirst();

const simSubscriptions = async (providerWebinarId: string) =>
  (await simJson<SimSubscription[]>(sim, "/subscriptions")).filter((s) =>
    s.resource.includes(providerWebinarId),
  );

forEachBackend("change-notification subscriptions", (ctx) => {
  let org: TestOrg;
  let hook: Awaited<ReturnType<typeof setup>>;

  before(async () => {
    await ctx.app.listen({ host: "127.0.0.1", port });
    await ctx.services.syncWorker.start();
    org = await ctx.createOrg("subscriptions-org");
    hook = await setup(ctx, org);
  });

  test("a provisioned Teams webinar is subscribed to our webhook URL; the clientState is sealed", async () => {
    const row = await waitUntil("subscribed", async () => {
      const r = await subscriptionRow(ctx, hook.webinar.id);
      return r?.state === "active" ? r : null;
    });
    const subs = await simSubscriptions(hook.webinar.providerWebinarId);
    assert.equal(subs.length, 2, "registrations and attendance reports");
    for (const s of subs) {
      assert.equal(s.notificationUrl, `http://127.0.0.1:${port}/webhooks/${hook.configId}`);
      assert.ok(s.clientState.length >= 32);
      assert.ok(
        !JSON.stringify(row.client_state).includes(s.clientState),
        "clientState stored in plain text",
      );
    }
    assert.equal(row.provider_subscription_id, subs.map((s) => s.id).join(","));
    const expiry = Math.min(...subs.map((s) => Date.parse(s.expirationDateTime)));
    assert.equal(row.expires_at?.getTime(), expiry);
    const listed = await ctx.request("GET", `/api/v1/webinar-configurations/${hook.configId}/subscriptions`, {
      token: org.tokens.viewer,
    });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data[0].state, "active");
    assert.ok(!listed.text.includes(subs[0]?.clientState ?? "-"));
  });

  test("a notification with the live clientState brings attendance within seconds; a forged one is 401", async () => {
    await registerMany(ctx, org, hook.eventId, 2, "sub");
    await waitUntil("synced", async () => (await syncCounts(ctx, hook.eventId)).synced === 2);
    await simJson(sim, `/webinars/${encodeURIComponent(hook.webinar.providerWebinarId)}/run`, {
      attendees: [{ email: "sub0@example.com", minutes: 25 }],
    });
    const attended = await waitUntil(
      "attendance from the notification",
      async () => {
        const a = await ctx.database.db
          .selectFrom("attendance")
          .select("live_minutes")
          .where("webinar_id", "=", hook.webinar.id)
          .where("live_minutes", ">", 0)
          .executeTakeFirst();
        return a ?? null;
      },
      15_000,
    );
    assert.equal(attended.live_minutes, 25);
    const forged = JSON.stringify({
      value: [
        {
          subscriptionId: "x",
          changeType: "created",
          clientState: "not-our-client-state",
          resource: `solutions/virtualEvents/webinars/${hook.webinar.providerWebinarId}/getAttendanceReports`,
          resourceData: { id: "r" },
        },
      ],
    });
    const res = await ctx.request("POST", `/webhooks/${hook.configId}`, {
      raw: forged,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 401);
  });

  test("renewed before expiry; made anew when Graph forgot it", async () => {
    const handle = ctx.services.syncWorker.handlers["webhook.subscription"];
    const before = (await subscriptionRow(ctx, hook.webinar.id)) as NonNullable<
      Awaited<ReturnType<typeof subscriptionRow>>
    >;
    // Due for renewal: within the hour before expiry.
    await ctx.database.db
      .updateTable("webhook_subscriptions")
      .set({ expires_at: new Date(Date.now() + 10 * 60_000) })
      .where("webinar_id", "=", hook.webinar.id)
      .execute();
    await handle({ webinarId: hook.webinar.id });
    const renewed = await subscriptionRow(ctx, hook.webinar.id);
    assert.equal(renewed?.state, "active");
    assert.equal(renewed?.provider_subscription_id, before.provider_subscription_id, "renewed, not replaced");
    assert.ok((renewed?.expires_at?.getTime() ?? 0) > Date.now() + 23 * 3600_000);
    assert.ok((renewed?.renewed_at?.getTime() ?? 0) > (before.renewed_at?.getTime() ?? 0));

    for (const s of await simSubscriptions(hook.webinar.providerWebinarId))
      await fetch(`${sim.url}/_sim/subscriptions/${s.id}/expire`, { method: "POST" });
    await ctx.database.db
      .updateTable("webhook_subscriptions")
      .set({ expires_at: new Date(Date.now() + 10 * 60_000) })
      .where("webinar_id", "=", hook.webinar.id)
      .execute();
    await handle({ webinarId: hook.webinar.id });
    const fresh = await waitUntil("subscribed anew", async () => {
      const r = await subscriptionRow(ctx, hook.webinar.id);
      return r?.state === "active" && r.provider_subscription_id !== before.provider_subscription_id
        ? r
        : null;
    });
    const live = (await simSubscriptions(hook.webinar.providerWebinarId)).filter(
      (s) => Date.parse(s.expirationDateTime) > Date.now(),
    );
    assert.equal(fresh.provider_subscription_id, live.map((s) => s.id).join(","));
  });

  test("a switch-off holds renewals without calling Graph; ending the webinar ends the subscription", async () => {
    const own = await ctx.createOrg("subscriptions-off");
    const off = await setup(ctx, own);
    await waitUntil(
      "subscribed",
      async () => (await subscriptionRow(ctx, off.webinar.id))?.state === "active",
    );
    const removed = await ctx.request(
      "DELETE",
      `/api/v1/webinar-configurations/${off.configId}/credentials`,
      {
        token: own.tokens.admin,
      },
    );
    assert.equal(removed.status, 200);
    await ctx.database.db
      .updateTable("webhook_subscriptions")
      .set({ expires_at: new Date(Date.now() + 10 * 60_000) })
      .where("webinar_id", "=", off.webinar.id)
      .execute();
    const calls = (await simJson<{ total: number }>(sim, "/requests")).total;
    await ctx.services.syncWorker.handlers["webhook.subscription"]({ webinarId: off.webinar.id });
    const held = await subscriptionRow(ctx, off.webinar.id);
    assert.equal(held?.state, "held");
    assert.equal(
      (await simJson<{ total: number }>(sim, "/requests")).total,
      calls,
      "Graph was called while off",
    );
    // A delivery for a switched-off configuration is not looked at.
    const res = await ctx.request("POST", `/webhooks/${off.configId}`, {
      raw: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 404);

    const restored = await ctx.request("PATCH", `/api/v1/webinar-configurations/${off.configId}`, {
      token: own.tokens.admin,
      body: { credentials: TEAMS_APP },
    });
    assert.equal(restored.status, 200);
    await ctx.services.syncWorker.handlers["webhook.subscription"]({ webinarId: off.webinar.id });
    assert.equal((await subscriptionRow(ctx, off.webinar.id))?.state, "active");

    await ctx.request("POST", `/api/v1/events/${off.eventId}/cancel`, { token: own.tokens.marketer });
    await waitUntil("webinar removed", async () => {
      const w = await ctx.database.db
        .selectFrom("webinars")
        .select("state")
        .where("id", "=", off.webinar.id)
        .executeTakeFirst();
      return w?.state === "deleted";
    });
    await ctx.services.syncWorker.handlers["webhook.subscription"]({ webinarId: off.webinar.id });
    assert.equal((await subscriptionRow(ctx, off.webinar.id))?.state, "ended");
  });
});
