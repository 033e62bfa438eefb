import assert from "node:assert/strict";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, syncCounts, waitUntil } from "../../webinars/fixtures.ts";
import { providerSetup, provisioned, registrationsOf, webinarOf } from "./setup.ts";

/**
 * Cancelling registrations through the API cancels exactly those people at the simulator;
 * cancelling the event removes the webinar there.
 */
export async function cancellationScenario(ctx: TestContext, org: TestOrg, driver: ProviderSimDriver) {
  const count = 8;
  const { eventId } = await providerSetup(ctx, org, driver, "cancellation");
  const ids = await registerMany(ctx, org, eventId, count, `cx-${driver.kind}-`);
  await waitUntil("registrations synced", async () => (await syncCounts(ctx, eventId)).synced === count);
  const webinar = await provisioned(ctx, org, eventId);

  const cancelled = ids.slice(0, 3);
  for (const id of cancelled) {
    const res = await ctx.request("POST", `/api/v1/registrations/${id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal(res.status, 200, res.text);
  }
  const regs = await registrationsOf(ctx, org, eventId);
  const emailOf = new Map(regs.map((r) => [r.id, r.contact.email.toLowerCase()]));
  const cancelledEmails = new Set(cancelled.map((id) => emailOf.get(id)));
  await waitUntil("cancellations at the simulator", async () => {
    const atProvider = await driver.registrants(webinar.providerWebinarId);
    return cancelledEmails.size > 0 &&
      [...cancelledEmails].every(
        (e) => atProvider.find((r) => r.email.toLowerCase() === e)?.status === "cancelled",
      )
      ? atProvider
      : null;
  });
  // Only those: everyone else is still registered there, and each was created once.
  const atProvider = await driver.registrants(webinar.providerWebinarId);
  for (const [id, email] of emailOf) {
    const there = atProvider.find((r) => r.email.toLowerCase() === email);
    assert.ok(there, `${email} missing at the simulator`);
    assert.equal(there.status, cancelledEmails.has(email) ? "cancelled" : "registered", email);
    assert.equal(there.createdCount, 1, email);
    const ours = regs.find((r) => r.id === id);
    if (cancelledEmails.has(email)) {
      const state = await waitUntil("our state cancelled", async () => {
        const r = await ctx.request("GET", `/api/v1/registrations/${id}`, { token: org.tokens.viewer });
        return r.body.webinar[0]?.state === "cancelled" ? r.body.webinar[0].state : null;
      });
      assert.equal(state, "cancelled");
    } else assert.equal(ours?.webinar[0]?.state, "synced");
  }

  assert.equal(await driver.webinarExists(webinar.providerWebinarId), true);
  const res = await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: org.tokens.marketer });
  assert.equal(res.status, 200, res.text);
  await waitUntil(
    "webinar gone at the simulator",
    async () => !(await driver.webinarExists(webinar.providerWebinarId)),
  );
  await waitUntil(
    "webinar deleted here",
    async () => (await webinarOf(ctx, org, eventId)).state === "deleted",
  );
}
