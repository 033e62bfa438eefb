import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, waitUntil, webinarSetup } from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/** Registrant requests ON24 received (creates, of any registrant). */
const registrantRequests = () =>
  [...sim.state.operationCounts.entries()]
    .filter(([operation]) => /registrant/i.test(operation))
    .reduce((n, [, count]) => n + count, 0);

forEachBackend("double opt-in", (ctx, backend) => {
  // Both backends share one simulator: addresses differ per backend.
  const olga = `olga-${backend}@example.com`;
  let org: TestOrg;
  let slug: string;
  let eventId: string;
  let address = 0;
  const submit = (body: Record<string, unknown>) =>
    ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body,
      remoteAddress: `198.51.100.${++address}`,
    });
  const confirm = (token: string) =>
    ctx.request("POST", "/api/v1/public/registrations/confirm", { body: { token } });
  const registration = (id: string) =>
    ctx.database.db.selectFrom("registrations").selectAll().where("id", "=", id).executeTakeFirst();
  const syncRows = (id: string) =>
    ctx.database.db.selectFrom("registration_syncs").selectAll().where("registration_id", "=", id).execute();

  before(async () => {
    await ctx.services.syncWorker.start();
    org = await ctx.createOrg("double-opt-in");
    ({ eventId } = await webinarSetup(ctx, org));
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);
    slug = published.body.slug;
    // The webinar exists at ON24 before anyone registers, so a registrant request would be sent at once.
    await waitUntil("webinar provisioned", async () => {
      const w = await ctx.database.db
        .selectFrom("webinars")
        .select("state")
        .where("event_id", "=", eventId)
        .executeTakeFirst();
      return w?.state === "provisioned";
    });
  });

  test("settings: off by default, an admin turns it on; bad input is a 400 naming the field", async () => {
    const initial = await ctx.request("GET", "/api/v1/organization/registrant-settings", {
      token: org.tokens.viewer,
    });
    assert.deepEqual(initial.body, {
      doubleOptIn: false,
      confirmationExpiryHours: 48,
      reminderOffsetsMinutes: [1440, 60],
    });
    const marketer = await ctx.request("PATCH", "/api/v1/organization/registrant-settings", {
      token: org.tokens.marketer,
      body: { doubleOptIn: true },
    });
    assert.equal(marketer.status, 403);
    const bad = await ctx.request("PATCH", "/api/v1/organization/registrant-settings", {
      token: org.tokens.admin,
      body: { confirmationExpiryHours: 0 },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, "confirmationExpiryHours");
    const on = await ctx.request("PATCH", "/api/v1/organization/registrant-settings", {
      token: org.tokens.admin,
      body: { doubleOptIn: true },
    });
    assert.deepEqual(on.body, {
      doubleOptIn: true,
      confirmationExpiryHours: 48,
      reminderOffsetsMinutes: [1440, 60],
    });
  });

  test("no provider request before the click; the registrant is synced after it; the link works once", async () => {
    const before = registrantRequests();
    const res = await submit({ firstName: "Olga", lastName: "Optin", email: olga });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { status: "submitted" }, "the same answer as without double opt-in");
    const asked = ctx.notices.last("confirmation_requested");
    const pending = await registration(asked.registrationId);
    assert.equal(pending?.status, "pending_confirmation");
    assert.equal(pending?.cancel_token_hash, null, "no page link before the click");
    assert.notEqual(pending?.confirm_token_hash, asked.confirmToken, "stored hashed");
    const hours = (asked.expiresAt.getTime() - Date.now()) / 3_600_000;
    assert.ok(hours > 47.9 && hours <= 48, String(hours));

    // Nothing is planned for the provider: no sync row, no job, and ON24 heard nothing.
    assert.deepEqual(await syncRows(asked.registrationId), []);
    const { rows: jobs } = await sql<{ n: number }>`
      select count(*)::int as n from pgboss.job
      where name = 'registration.sync' and data->>'registrationId' = ${asked.registrationId}`.execute(
      ctx.database.db,
    );
    assert.equal(jobs[0]?.n, 0, "no sync job");
    assert.equal(registrantRequests(), before, "no registrant request reached ON24");
    assert.equal(
      sim.state
        .registrantReport()
        .flatMap((e) => e.registrants)
        .filter((r) => r.email === olga).length,
      0,
    );

    const clicked = await confirm(asked.confirmToken);
    assert.equal(clicked.status, 200, clicked.text);
    assert.deepEqual(clicked.body, { status: "registered" });
    const page = ctx.notices.last("registered");
    assert.equal(page.registrationId, asked.registrationId);
    assert.ok(page.pageToken, "the registrant's page link follows the click");
    const confirmed = await registration(asked.registrationId);
    assert.equal(confirmed?.status, "registered");
    assert.equal(confirmed?.confirm_token_hash, null);

    await waitUntil(
      "synced to ON24",
      async () => (await syncRows(asked.registrationId))[0]?.state === "synced",
    );
    const atOn24 = sim.state
      .registrantReport()
      .flatMap((e) => e.registrants)
      .filter((r) => r.email === olga);
    assert.equal(atOn24.length, 1);
    assert.equal(atOn24[0]?.createCount, 1);

    const twice = await confirm(asked.confirmToken);
    assert.equal(twice.status, 404);
    assert.equal(twice.body.error.code, "confirmation_unknown");
    const malformed = await confirm("x");
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.field, "token");
  });

  test("an event overrides the organization's setting", async () => {
    const off = await ctx.request("PATCH", `/api/v1/events/${eventId}/registrant-settings`, {
      token: org.tokens.marketer,
      body: { doubleOptIn: false },
    });
    assert.equal(off.status, 200, off.text);
    await submit({ firstName: "Ivar", lastName: "Immediate", email: "ivar@example.com" });
    const direct = ctx.notices.last("registered");
    assert.equal((await registration(direct.registrationId))?.status, "registered");
    const inherit = await ctx.request("PATCH", `/api/v1/events/${eventId}/registrant-settings`, {
      token: org.tokens.marketer,
      body: { doubleOptIn: null },
    });
    assert.deepEqual(inherit.body, { doubleOptIn: null, registrantEmails: null });
    const other = await ctx.createOrg("other");
    const foreign = await ctx.request("GET", `/api/v1/events/${eventId}/registrant-settings`, {
      token: other.tokens.viewer,
    });
    assert.equal(foreign.status, 404, "another organization's event is not found");
  });

  test("unconfirmed registrations expire: the lapsed link fails, the sweep deletes them", async () => {
    await submit({ firstName: "Lars", lastName: "Late", email: "lars@example.com" });
    const late = ctx.notices.last("confirmation_requested");
    await submit({ firstName: "Tone", lastName: "Timely", email: "tone@example.com" });
    const timely = ctx.notices.last("confirmation_requested");

    // A controlled clock: the sweep at 47 h keeps both; at 49 h both are gone.
    assert.equal(
      await ctx.services.registrations.expireUnconfirmed(new Date(Date.now() + 47 * 3_600_000)),
      0,
    );
    // The first link lapses now (as if 48 h had passed for it alone).
    await ctx.database.db
      .updateTable("registrations")
      .set({ confirmation_expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", late.registrationId)
      .execute();
    const lapsed = await confirm(late.confirmToken);
    assert.equal(lapsed.status, 404);
    assert.equal((await registration(late.registrationId))?.status, "pending_confirmation");
    assert.equal(await ctx.services.registrations.expireUnconfirmed(), 1);
    assert.equal(await registration(late.registrationId), undefined);
    assert.equal((await registration(timely.registrationId))?.status, "pending_confirmation");
    assert.equal(
      await ctx.services.registrations.expireUnconfirmed(new Date(Date.now() + 49 * 3_600_000)),
      1,
    );
    assert.equal(await registration(timely.registrationId), undefined);

    // The person may try again: the address is free once the unconfirmed registration is gone.
    const again = await submit({ firstName: "Lars", lastName: "Late", email: "lars@example.com" });
    assert.equal(again.status, 202);
    assert.notEqual(ctx.notices.last("confirmation_requested").registrationId, late.registrationId);
  });
});
