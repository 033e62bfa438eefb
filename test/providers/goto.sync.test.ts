// GoTo through the REAL sync engine: configuration → provisioning → registrations with personal
// join links → a run webinar's attendance minutes back in Auditorium. Simulator over HTTP, the
// real database (PGlite, and server PostgreSQL when TEST_DATABASE_URL is set).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";
import { GOTO_ACCOUNT, sim, simRegistrants, startGoto } from "../simulators/goto-harness.ts";
import { registerMany, waitSynced, waitUntil } from "../webinars/fixtures.ts";

const s = await startGoto();
testEnv.AUDITORIUM_GOTO_API_URL = s.apiUrl;
testEnv.AUDITORIUM_GOTO_AUTH_URL = s.authUrl;
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "8";
after(() => s.close());

forEachBackend("webinar sync with GoTo", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("goto-org");
    await ctx.services.syncWorker.start();
  });

  async function setup(title: string) {
    const { configId, eventId } = await webinarEvent(ctx, org, {
      provider: "goto",
      name: "GoTo",
      settings: { organizerKey: GOTO_ACCOUNT.organizerKey },
      credentials: {
        clientId: GOTO_ACCOUNT.clientId,
        clientSecret: GOTO_ACCOUNT.clientSecret,
        refreshToken: GOTO_ACCOUNT.refreshToken,
      },
      event: { title, webinarType: "single_session" },
    });
    return { configId, eventId };
  }

  const webinarOf = async (eventId: string) =>
    (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer })).body
      .data[0];

  test("a malformed organizerKey or a missing refresh token is a 400 naming the field", async () => {
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: org.tokens.admin });
    await ctx.request("POST", "/api/v1/webinar/terms/accept", {
      token: org.tokens.admin,
      body: { version: terms.body.version },
    });
    const bad = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: org.tokens.admin,
      body: {
        provider: "goto",
        name: "GoTo",
        settings: { organizerKey: "12ab" },
        credentials: { clientId: "c", clientSecret: "s", refreshToken: "r" },
      },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /organizerKey/);
    const missing = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: org.tokens.admin,
      body: {
        provider: "goto",
        name: "GoTo",
        settings: { organizerKey: GOTO_ACCOUNT.organizerKey },
        credentials: { clientId: "c", clientSecret: "s" },
      },
    });
    assert.equal(missing.status, 400, missing.text);
    assert.match(missing.text, /refreshToken/);
  });

  test("credentials check healthy against GoTo; a revoked refresh token checks as not authenticated", async () => {
    const { configId } = await setup("Check");
    const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
      token: org.tokens.admin,
    });
    assert.equal(checked.body.health.status, "healthy", checked.text);
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/revoke`);
    await sim(s, "POST", "/tokens/expire");
    try {
      const revoked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
        token: org.tokens.admin,
      });
      assert.equal(revoked.body.health.status, "not_authenticated", revoked.text);
      assert.ok(!revoked.text.includes(GOTO_ACCOUNT.refreshToken));
    } finally {
      await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/restore`);
    }
  });

  test("registrations reach GoTo once each with personal join links; attendance minutes come back", async () => {
    const { eventId } = await setup("GoTo webinar under test");
    const ids = await registerMany(ctx, org, eventId, 12, "goto");
    await waitSynced(ctx, eventId, 12, "all synced");
    const webinar = await webinarOf(eventId);
    assert.equal(webinar.state, "provisioned");
    assert.ok(BigInt(webinar.providerWebinarId) > 2n ** 53n, "the webinarKey kept every digit");
    const held = await simRegistrants(s, webinar.providerWebinarId);
    assert.equal(held.length, 12);
    assert.ok(held.every((r) => r.createdCount === 1));

    const reg = await ctx.request("GET", `/api/v1/registrations/${ids[0]}`, { token: org.tokens.viewer });
    const link = reg.body.webinar[0];
    assert.equal(link.state, "synced");
    const mine = held.find((r) => r.email === "goto0@example.com");
    assert.ok(mine);
    assert.equal(
      link.joinUrl,
      `https://global.gotowebinar.com/join/${webinar.providerWebinarId}/${mine.registrantKey}`,
    );
    const stored = await ctx.database.db
      .selectFrom("registration_syncs")
      .select("provider_registrant_id")
      .where("registration_id", "=", ids[0] as string)
      .executeTakeFirstOrThrow();
    assert.equal(
      stored.provider_registrant_id,
      mine.registrantKey,
      "the registrantKey is stored digit for digit",
    );
    const others = await Promise.all(
      ids
        .slice(1, 4)
        .map(
          async (id) =>
            (await ctx.request("GET", `/api/v1/registrations/${id}`, { token: org.tokens.viewer })).body
              .webinar[0].joinUrl,
        ),
    );
    assert.equal(new Set([link.joinUrl, ...others]).size, 4, "join links are personal");

    const run = await sim<{ seconds: Record<string, number> }>(
      s,
      "POST",
      `/webinars/${webinar.providerWebinarId}/run`,
      {
        attendees: [
          { email: "goto0@example.com", minutes: 42 },
          { email: "goto1@example.com", minutes: 9 },
          { email: "goto2@example.com", minutes: 1 },
        ],
      },
    );
    await sim(s, "POST", `/webinars/${webinar.providerWebinarId}/run`, {
      attendees: [{ email: "goto0@example.com", minutes: 8 }],
    });
    await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, { token: org.tokens.marketer });
    await waitUntil("attendance stored", async () => (await webinarOf(eventId)).lastMetricsAt);
    const ours = await ctx.database.db
      .selectFrom("attendance as a")
      .innerJoin("registrations as r", "r.id", "a.registration_id")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select(["c.email", "a.live_minutes"])
      .where("r.event_id", "=", eventId)
      .execute();
    const minutes = Object.fromEntries(ours.map((o) => [o.email, o.live_minutes]));
    assert.deepEqual(minutes, { "goto0@example.com": 50, "goto1@example.com": 9, "goto2@example.com": 1 });
    assert.equal(run.seconds["goto1@example.com"], 9 * 60);
  });

  test("a cancellation deletes the registrant at GoTo; cancelling the event cancels the webinar", async () => {
    const { eventId } = await setup("GoTo cancellations");
    const ids = await registerMany(ctx, org, eventId, 3, "gotocancel");
    await waitSynced(ctx, eventId, 3, "synced");
    const webinar = await webinarOf(eventId);
    await ctx.request("POST", `/api/v1/registrations/${ids[0]}/cancel`, { token: org.tokens.marketer });
    await waitUntil("cancelled at GoTo", async () => {
      const rows = await simRegistrants(s, webinar.providerWebinarId);
      return rows.find((r) => r.email === "gotocancel0@example.com")?.status === "cancelled";
    });
    await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: org.tokens.marketer });
    await waitUntil("webinar cancelled at GoTo", async () => {
      const w = await sim(s, "GET", `/webinars/${webinar.providerWebinarId}`);
      return w.exists === false;
    });
  });

  test("faults and an expired token mid-drain: nothing lost, nothing duplicated", async () => {
    const { eventId } = await setup("GoTo under faults");
    await registerMany(ctx, org, eventId, 1, "gotowarm");
    await waitSynced(ctx, eventId, 1, "provisioned");
    await sim(s, "POST", "/knobs", { faultRateBeforeCommit: 0.15, faultRateAfterCommit: 0.15 });
    await sim(s, "POST", "/tokens/expire");
    try {
      await registerMany(ctx, org, eventId, 30, "gotofault");
      await waitSynced(ctx, eventId, 31, "all synced under faults", 90_000);
    } finally {
      await sim(s, "POST", "/knobs", { faultRateBeforeCommit: 0, faultRateAfterCommit: 0 });
    }
    const held = await simRegistrants(s, (await webinarOf(eventId)).providerWebinarId);
    assert.equal(held.length, 31);
    assert.deepEqual(
      held.filter((r) => r.createdCount !== 1),
      [],
      "each email created exactly once",
    );
  });

  test("GoTo's 10 requests/s: 429s are absorbed, every registration still lands exactly once", async () => {
    const { eventId } = await setup("GoTo at its rate limit");
    await registerMany(ctx, org, eventId, 1, "gotoratewarm");
    await waitSynced(ctx, eventId, 1, "provisioned");
    // A stricter limit than GoTo's, so this one process's pacing (9/s) meets it.
    await sim(s, "POST", "/knobs", { rateLimitPerSecond: 3 });
    const before = (await sim(s, "GET", "/requests")).rateLimited;
    try {
      await registerMany(ctx, org, eventId, 20, "gotorate");
      await waitSynced(ctx, eventId, 21, "all synced at the limit", 90_000);
    } finally {
      await sim(s, "POST", "/knobs", { rateLimitPerSecond: 10 });
    }
    const after = (await sim(s, "GET", "/requests")).rateLimited;
    assert.ok(after > before, "the simulator answered 429 at least once");
    const held = await simRegistrants(s, (await webinarOf(eventId)).providerWebinarId);
    assert.equal(held.length, 21);
    assert.ok(held.every((r) => r.createdCount === 1));
  });

  test("no secret or attendee email in the logs or stored errors", async () => {
    const logs = ctx.logs.join("");
    for (const secret of [GOTO_ACCOUNT.clientSecret, GOTO_ACCOUNT.refreshToken])
      assert.ok(!logs.includes(secret));
    assert.doesNotMatch(logs, /goto\d+@example\.com|gotofault\d+@example\.com/);
    const errors = await ctx.database.db
      .selectFrom("registration_syncs")
      .select("last_error")
      .where("last_error", "is not", null)
      .execute();
    const text = errors.map((e) => e.last_error).join("\n");
    assert.doesNotMatch(text, /@example\.com|do-not-leak/);
  });
});
