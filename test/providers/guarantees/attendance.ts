import assert from "node:assert/strict";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, syncCounts, waitUntil } from "../../webinars/fixtures.ts";
import { providerSetup, provisioned, type RegistrationView, registrationsOf, webinarOf } from "./setup.ts";

/** Minutes the attendees watch live: varied, so a mix-up between people shows. */
const MINUTES = [7, 52, 23, 1, 45, 30, 12];

/**
 * The simulator runs the webinar with some registrants for given minutes; after polling, each
 * registration's live minutes equal what the simulator recorded, the others show none, and the
 * webinar's aggregates agree.
 */
export async function attendanceScenario(ctx: TestContext, org: TestOrg, driver: ProviderSimDriver) {
  const count = 10;
  const { eventId } = await providerSetup(ctx, org, driver, "attendance");
  await registerMany(ctx, org, eventId, count, `at-${driver.kind}-`);
  await waitUntil("registrations synced", async () => (await syncCounts(ctx, eventId)).synced === count);
  const webinar = await provisioned(ctx, org, eventId);
  const regs = await registrationsOf(ctx, org, eventId);
  const attendees = regs.slice(0, MINUTES.length).map((r, i) => ({
    email: r.contact.email,
    minutes: MINUTES[i] as number,
  }));

  const recorded = await driver.runWebinar(webinar.providerWebinarId, attendees);
  const simMinutes = new Map([...recorded].map(([email, m]) => [email.toLowerCase(), m]));
  assert.equal(simMinutes.size, attendees.length, "the simulator recorded every attendee");
  // Some drivers convert the simulator's seconds with the adapter's own rounding; whole minutes
  // were asked for, so what comes back must be within a minute of them, whoever rounds.
  for (const a of attendees) {
    const got = simMinutes.get(a.email.toLowerCase());
    assert.ok(
      got !== undefined && Math.abs(got - a.minutes) <= 1,
      `${a.email}: asked ${a.minutes}, got ${got}`,
    );
  }
  const expected = (r: RegistrationView) => simMinutes.get(r.contact.email.toLowerCase()) ?? 0;
  const matches = (rows: RegistrationView[]) =>
    rows.every((r) => (r.webinar[0]?.liveMinutes ?? 0) === expected(r));

  // Poll through the API, again while the provider has not published everything yet. A poll
  // commits the minutes chunk by chunk, then asks for the recording (a provider call, which may
  // meet a fault and be retried), and only then records its freshness: the wait is for both,
  // or the check of the freshness below races the end of the poll (seen once for GoTo in a
  // full run: the minutes equal, lastMetricsAt still null).
  let stored: RegistrationView[] = [];
  const fresh = async () => (await webinarOf(ctx, org, eventId)).lastMetricsAt !== null;
  await waitUntil(
    "attendance equal to the simulator's",
    async () => {
      const res = await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, {
        token: org.tokens.marketer,
      });
      assert.equal(res.status, 202, res.text);
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        stored = await registrationsOf(ctx, org, eventId);
        if (matches(stored) && (await fresh())) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
      return false;
    },
    60_000,
  ).catch((e) => {
    const diff = stored
      .filter((r) => (r.webinar[0]?.liveMinutes ?? 0) !== expected(r))
      .map((r) => `${r.contact.email}: ours ${r.webinar[0]?.liveMinutes} vs simulator ${expected(r)}`);
    throw new Error(`${e.message}; differences: ${diff.join("; ")}`);
  });
  for (const r of stored) assert.equal(r.webinar[0]?.liveMinutes ?? 0, expected(r), r.contact.email);
  // Attendance reported for someone we do not know would show up as an extra registration.
  assert.equal(stored.length, count);

  const w = await webinarOf(ctx, org, eventId);
  const live = [...simMinutes.values()].filter((m) => m > 0);
  const viewing = stored
    .map((r) => (r.webinar[0]?.liveMinutes ?? 0) + (r.webinar[0]?.onDemandMinutes ?? 0))
    .filter((m) => m > 0);
  const average = viewing.reduce((a, b) => a + b, 0) / viewing.length;
  assert.ok(w.lastMetricsAt, "freshness recorded");
  assert.equal(w.stats.registered, count);
  assert.equal(w.stats.attendedLive, live.length);
  assert.equal(w.stats.noShow, count - viewing.length);
  assert.equal(w.stats.averageMinutes, Math.round(average * 10) / 10);
  // The aggregate reflects the simulator's minutes, not just our own rows.
  if (viewing.length === live.length) {
    assert.equal(
      w.stats.averageMinutes,
      Math.round((live.reduce((a, b) => a + b, 0) / live.length) * 10) / 10,
    );
  }
}
