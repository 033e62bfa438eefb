import assert from "node:assert/strict";
import { sql } from "kysely";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, syncCounts, waitSynced, waitUntil } from "../../webinars/fixtures.ts";
import { jobsSince, providerSetup, provisioned, registrationsOf } from "./setup.ts";

/** Completed metrics.poll jobs of one webinar created since `since`: proof a poll ran to its end. */
async function completedPolls(ctx: TestContext, webinarId: string, since: Date) {
  const res = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pgboss.job
    WHERE name = 'metrics.poll' AND data->>'webinarId' = ${webinarId}
      AND state = 'completed' AND created_on >= ${since}`.execute(ctx.database.db);
  return res.rows[0]?.n ?? 0;
}

/**
 * Switch-off: once the credentials are deleted the simulator receives no request at all —
 * new registrations are held with a reason, and a metrics poll runs to its end without a
 * call — and when the credentials come back the held work syncs.
 */
export async function switchOffScenario(ctx: TestContext, org: TestOrg, driver: ProviderSimDriver) {
  const { configId, eventId } = await providerSetup(ctx, org, driver, "switch-off");
  await registerMany(ctx, org, eventId, 4, `so-before-${driver.kind}-`);
  await waitSynced(ctx, eventId, 4, "first registrations synced");
  const webinar = await provisioned(ctx, org, eventId);

  // The simulator counts every request it gets, and earlier scenarios' configurations (same
  // organization, same simulator) keep scheduled work of their own: a subscription renewal of
  // another webinar once landed in the window below. So every configuration of this provider
  // is switched off for it, which also proves the guarantee for several at once.
  const configIds = await enabledConfigurations(ctx, org, driver.kind);
  assert.ok(configIds.includes(configId));
  for (const id of configIds) {
    const removed = await ctx.request("DELETE", `/api/v1/webinar-configurations/${id}/credentials`, {
      token: org.tokens.admin,
    });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.enabled, false);
  }
  // When DELETE returns no call is in flight, so from here the count must not move.
  const requestsAtRemoval = await driver.requestCount();
  const removedAt = new Date();

  const held = await registerMany(ctx, org, eventId, 5, `so-during-${driver.kind}-`);
  await waitUntil("new registrations held", async () => (await syncCounts(ctx, eventId)).held === 5);
  const since = new Date(Date.now() - 1000);
  const poll = await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, {
    token: org.tokens.marketer,
  });
  assert.equal(poll.status, 202, poll.text);
  await waitUntil(
    "a poll ran while switched off",
    async () => (await completedPolls(ctx, webinar.id, since)) > 0,
  );
  const requestsNow = await driver.requestCount();
  if (requestsNow !== requestsAtRemoval) {
    // Name the work that ran since, so a failure says whose request it was.
    const jobs = await jobsSince(ctx, removedAt);
    assert.fail(
      `the simulator received ${requestsNow - requestsAtRemoval} request(s) after switch-off of configuration ` +
        `${configId} (webinar ${webinar.id}); jobs started since: ${JSON.stringify(jobs)}`,
    );
  }

  const regs = await registrationsOf(ctx, org, eventId);
  for (const id of held) {
    const w = regs.find((r) => r.id === id)?.webinar[0];
    assert.equal(w?.state, "held", id);
    assert.ok(w?.lastError && w.lastError.length > 0, `held registration ${id} shows a reason`);
  }
  const issues = await ctx.request("GET", `/api/v1/webinar-configurations/${configId}/issues`, {
    token: org.tokens.admin,
  });
  assert.deepEqual(
    issues.body.data
      .filter((i: { state: string }) => i.state === "held")
      .map((i: { id: string }) => i.id)
      .sort(),
    [...held].sort(),
  );

  for (const id of configIds) {
    const restored = await ctx.request("PATCH", `/api/v1/webinar-configurations/${id}`, {
      token: org.tokens.admin,
      body: { credentials: driver.configuration.credentials },
    });
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.body.enabled, true);
  }
  await waitSynced(ctx, eventId, 9, "held work synced");
  assert.ok((await driver.requestCount()) > requestsAtRemoval);
  const atProvider = await driver.registrants(webinar.providerWebinarId);
  assert.equal(atProvider.filter((r) => r.status === "registered").length, 9);
  assert.ok(atProvider.every((r) => r.createdCount === 1));
}

/** The organization's configurations of one provider that have credentials now. */
async function enabledConfigurations(ctx: TestContext, org: TestOrg, provider: string): Promise<string[]> {
  const list = await ctx.request("GET", "/api/v1/webinar-configurations", { token: org.tokens.admin });
  assert.equal(list.status, 200, list.text);
  return (list.body.data as { id: string; provider: string; enabled: boolean }[])
    .filter((c) => c.provider === provider && c.enabled)
    .map((c) => c.id);
}
