import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  ON24_ACCOUNT,
  registerMany,
  type Simulator,
  startSimulator,
  syncCounts,
  waitSynced,
  waitUntil,
  webinarSetup,
} from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
testEnv.AUDITORIUM_QUOTA_PAUSE_SECONDS = "1";
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "3";
after(() => sim.close());

forEachBackend("webinar sync with ON24", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("webinar-org");
    await ctx.services.syncWorker.start();
  });

  test("no configuration, and no provider call, before the terms are accepted", async () => {
    const other = await ctx.createOrg("no-terms");
    const calls = sim.state.requestReport().total;
    const res = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: other.tokens.admin,
      body: { provider: "on24", name: "x", settings: { region: "NA" }, credentials: ON24_ACCOUNT },
    });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, "terms_not_accepted");
    assert.equal(sim.state.requestReport().total, calls);
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: other.tokens.viewer });
    assert.equal(terms.body.current, false);
    assert.match(terms.body.text, /key-management service/);
  });

  test("credentials are write-only: responses say what is set, by whom, never the values", async () => {
    const { configId } = await webinarSetup(ctx, org);
    const got = await ctx.request("GET", `/api/v1/webinar-configurations/${configId}`, {
      token: org.tokens.viewer,
    });
    assert.equal(got.status, 200);
    assert.deepEqual(Object.keys(got.body.credentials).sort(), [
      "accessTokenKey",
      "accessTokenSecret",
      "clientId",
    ]);
    assert.equal(got.body.credentials.accessTokenSecret.set, true);
    assert.ok(got.body.credentials.accessTokenSecret.setAt);
    assert.equal(got.body.enabled, true);
    for (const secret of [ON24_ACCOUNT.accessTokenKey, ON24_ACCOUNT.accessTokenSecret]) {
      assert.ok(!got.text.includes(secret));
      const list = await ctx.request("GET", "/api/v1/webinar-configurations", { token: org.tokens.admin });
      assert.ok(!list.text.includes(secret));
    }
    const stored = await ctx.database.db.selectFrom("webinar_secrets").select("record").execute();
    const dump = JSON.stringify(stored);
    assert.ok(!dump.includes(ON24_ACCOUNT.accessTokenSecret) && !dump.includes(ON24_ACCOUNT.accessTokenKey));
    const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
      token: org.tokens.admin,
    });
    assert.equal(checked.body.health.status, "healthy");
  });

  test("a wrong secret checks as not authenticated", async () => {
    const own = await ctx.createOrg("wrong-secret");
    const { configId } = await webinarSetup(ctx, own);
    await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
      token: own.tokens.admin,
      body: { credentials: { accessTokenSecret: "wrong-secret-value" } },
    });
    const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
      token: own.tokens.admin,
    });
    assert.equal(checked.body.health.status, "not_authenticated");
    assert.ok(!checked.text.includes("wrong-secret-value"));
  });

  test("registrations reach ON24 exactly once, with the provider's ids; cancellations follow", async () => {
    const own = await ctx.createOrg("sync");
    const { eventId } = await webinarSetup(ctx, own);
    const ids = await registerMany(ctx, own, eventId, 40, "sync");
    await waitSynced(ctx, eventId, 40, "all synced");
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer })
    ).body.data[0];
    assert.equal(webinar.state, "provisioned");
    const report = sim.state.registrantReport(Number(webinar.providerWebinarId))[0];
    assert.equal(report?.count, 40);
    assert.ok(report?.registrants.every((r) => r.createCount === 1));
    const reg = await ctx.request("GET", `/api/v1/registrations/${ids[0]}`, { token: own.tokens.viewer });
    assert.equal(reg.body.webinar[0].state, "synced");
    assert.ok(reg.body.webinar[0].joinUrl);

    await ctx.request("POST", `/api/v1/registrations/${ids[0]}/cancel`, { token: own.tokens.marketer });
    await waitUntil("cancel propagated", async () => {
      const r = sim.state
        .registrantReport(Number(webinar.providerWebinarId))[0]
        ?.registrants.find((x) => x.email === "sync0@example.com");
      return r?.userstatus === "deleted";
    });
    // ON24 shows the cancellation as soon as it answers; our row is stored just after that
    // (failed once on PGlite when read at once).
    await waitUntil("cancellation stored", async () => {
      const cancelled = await ctx.request("GET", `/api/v1/registrations/${ids[0]}`, {
        token: own.tokens.viewer,
      });
      return cancelled.body.webinar[0].state === "cancelled";
    });

    await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: own.tokens.marketer });
    await waitUntil(
      "event deleted at ON24",
      async () => sim.state.registrantReport(Number(webinar.providerWebinarId))[0]?.deleted,
    );
  });

  test("switch-off: after the credentials are removed ON24 gets no call; held work resumes on restore", async () => {
    const own = await ctx.createOrg("switch-off");
    const { configId, eventId } = await webinarSetup(ctx, own);
    await registerMany(ctx, own, eventId, 10, "before");
    await waitSynced(ctx, eventId, 10, "first batch synced");
    const removed = await ctx.request("DELETE", `/api/v1/webinar-configurations/${configId}/credentials`, {
      token: own.tokens.admin,
    });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.enabled, false);
    const callsAtRemoval = sim.state.requestReport().total;
    await registerMany(ctx, own, eventId, 10, "during");
    await waitUntil("new work held", async () => (await syncCounts(ctx, eventId)).held === 10);
    // Event management keeps working while the integration is off.
    assert.equal(
      (
        await ctx.request("GET", `/api/v1/events/${eventId}/registrations?limit=100`, {
          token: own.tokens.viewer,
        })
      ).body.data.length,
      20,
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sim.state.requestReport().total, callsAtRemoval, "ON24 received calls after switch-off");
    const issues = await ctx.request("GET", `/api/v1/webinar-configurations/${configId}/issues`, {
      token: own.tokens.admin,
    });
    assert.equal(issues.body.data.filter((i: { state: string }) => i.state === "held").length, 10);

    await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
      token: own.tokens.admin,
      body: { credentials: ON24_ACCOUNT },
    });
    await waitSynced(ctx, eventId, 20, "held work synced");
  });

  test("a quota answer (HTTP 403) pauses the account and nothing is lost or duplicated", async () => {
    const own = await ctx.createOrg("quota");
    const { eventId, configId } = await webinarSetup(ctx, own);
    sim.state.setKnobs({ quota: { limit: 15, windowMs: 1000 } });
    try {
      await registerMany(ctx, own, eventId, 60, "quota");
      await waitUntil("paused", async () => {
        const c = await ctx.request("GET", `/api/v1/webinar-configurations/${configId}`, {
          token: own.tokens.admin,
        });
        return c.body.pausedUntil !== null || (await syncCounts(ctx, eventId)).synced === 60;
      });
      await waitSynced(ctx, eventId, 60, "all synced under quota", 90_000);
    } finally {
      sim.state.setKnobs({ quota: null });
    }
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer })
    ).body.data[0];
    const report = sim.state.registrantReport(Number(webinar.providerWebinarId))[0];
    assert.equal(report?.count, 60);
    assert.ok(report?.registrants.every((r) => r.createCount === 1));
  });

  test("attendance comes back: each registration's minutes equal the simulator's, walk-ins become registrations", async () => {
    const own = await ctx.createOrg("metrics");
    const { eventId } = await webinarSetup(ctx, own);
    await registerMany(ctx, own, eventId, 30, "viewer");
    await waitSynced(ctx, eventId, 30, "synced");
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer })
    ).body.data[0];
    const run = await fetch(`${sim.url}/_sim/events/${webinar.providerWebinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ seed: 3, attendanceRate: 0.8, walkIns: 4 }),
    });
    assert.equal(run.status, 200, await run.text());
    await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, { token: own.tokens.marketer });
    const stats = await waitUntil("attendance stored", async () => {
      const w = (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer }))
        .body.data[0];
      return w.lastMetricsAt ? w : null;
    });
    const attendees = (await (
      await fetch(
        `${sim.baseUrls.NA}/client/${ON24_ACCOUNT.clientId}/event/${webinar.providerWebinarId}/attendee`,
        {
          headers: {
            accessTokenKey: ON24_ACCOUNT.accessTokenKey,
            accessTokenSecret: ON24_ACCOUNT.accessTokenSecret,
          },
        },
      )
    ).json()) as { attendees: { email: string; liveminutes: number; archiveminutes: number }[] };
    assert.ok(attendees.attendees.length > 0);
    const ours = await ctx.database.db
      .selectFrom("attendance as a")
      .innerJoin("registrations as r", "r.id", "a.registration_id")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select(["c.email", "a.live_minutes", "a.on_demand_minutes", "r.source"])
      .where("r.event_id", "=", eventId)
      .execute();
    for (const a of attendees.attendees) {
      const mine = ours.find((o) => o.email.toLowerCase() === a.email.toLowerCase());
      assert.ok(mine, `attendee ${a.email} missing`);
      assert.equal(mine.live_minutes, a.liveminutes);
      assert.equal(mine.on_demand_minutes, a.archiveminutes);
    }
    const walkIns = ours.filter((o) => o.source === "provider");
    assert.equal(walkIns.length, 4);
    assert.ok(stats.stats.attendedLive > 0);
    assert.equal(stats.stats.registered, 34);
    const checkIns = await ctx.database.db
      .selectFrom("check_ins")
      .select("viewing_minutes")
      .where("event_id", "=", eventId)
      .where("kind", "=", "webinar")
      .execute();
    assert.equal(checkIns.length, ours.filter((o) => o.live_minutes + o.on_demand_minutes > 0).length);
  });

  test("exhausted attempts end in a visible failed state with the reason, and replay sends the work again", async () => {
    const own = await ctx.createOrg("failed");
    const { configId, eventId } = await webinarSetup(ctx, own);
    const first = await registerMany(ctx, own, eventId, 1, "warmup");
    await waitSynced(ctx, eventId, 1, "provisioned");
    await fetch(`${sim.url}/_sim/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        kind: "503",
        count: 3,
        endpoint: "POST /client/{clientId}/event/{eventId}/registrant",
      }),
    });
    const [id] = await registerMany(ctx, own, eventId, 1, "unlucky");
    await waitUntil(
      "failed after 3 attempts",
      async () => (await syncCounts(ctx, eventId)).failed === 1,
      30_000,
    );
    const reg = await ctx.request("GET", `/api/v1/registrations/${id}`, { token: own.tokens.viewer });
    assert.equal(reg.body.webinar[0].state, "failed");
    assert.match(reg.body.webinar[0].lastError, /503.*after 3 attempts/s);
    const issues = await ctx.request("GET", `/api/v1/webinar-configurations/${configId}/issues`, {
      token: own.tokens.admin,
    });
    assert.deepEqual(
      issues.body.data.map((i: { id: string; state: string }) => [i.id, i.state]),
      [[id, "failed"]],
    );
    const replay = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/replay`, {
      token: own.tokens.admin,
      body: {},
    });
    assert.deepEqual(replay.body, { registrations: 1, webinars: 0 });
    await waitSynced(ctx, eventId, 2, "synced after replay");
    assert.ok(first.length === 1);
  });

  test("a reschedule reaches ON24", async () => {
    const own = await ctx.createOrg("reschedule");
    const { eventId } = await webinarSetup(ctx, own);
    const webinar = await waitUntil("provisioned", async () => {
      const w = (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: own.tokens.viewer }))
        .body.data[0];
      return w?.providerWebinarId ? w : null;
    });
    const readLiveStart = async () => {
      const res = await fetch(
        `${sim.baseUrls.NA}/client/${ON24_ACCOUNT.clientId}/event/${webinar.providerWebinarId}`,
        {
          headers: {
            accessTokenKey: ON24_ACCOUNT.accessTokenKey,
            accessTokenSecret: ON24_ACCOUNT.accessTokenSecret,
          },
        },
      );
      return (await res.json()) as { goodAfter?: string; livestart?: string; liveStart?: string };
    };
    const before = JSON.stringify(await readLiveStart());
    const later = new Date(Date.now() + 3 * 86_400_000);
    const patched = await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
      token: own.tokens.marketer,
      body: {
        startsAt: later.toISOString(),
        endsAt: new Date(later.getTime() + 3600_000).toISOString(),
        title: "Moved webinar",
      },
    });
    assert.equal(patched.status, 200, patched.text);
    await waitUntil("ON24 event updated", async () => {
      const now = JSON.stringify(await readLiveStart());
      return now !== before && now.includes("Moved webinar");
    });
  });

  test("after the whole cycle: no secret or attendee email in the logs, the job table or any stored error", async () => {
    const logs = ctx.logs.join("");
    assert.ok(logs.length > 0);
    const jobs = await sql<{ t: string }>`SELECT data::text AS t FROM pgboss.job`.execute(ctx.database.db);
    assert.ok(jobs.rows.length > 100, "the cycle queued jobs");
    const errors = await sql<{ t: string }>`
      SELECT last_error AS t FROM registration_syncs WHERE last_error IS NOT NULL
      UNION ALL SELECT last_error FROM webinars WHERE last_error IS NOT NULL
      UNION ALL SELECT health_message FROM webinar_configurations WHERE health_message IS NOT NULL`.execute(
      ctx.database.db,
    );
    assert.ok(errors.rows.length > 0, "the cycle stored errors (faults, wrong secret)");
    const emails = await ctx.database.db.selectFrom("contacts").select("email").execute();
    assert.ok(emails.length > 100);
    for (const [where, text] of [
      ["logs", logs],
      ["job payloads", jobs.rows.map((r) => r.t).join("\n")],
      ["stored errors", errors.rows.map((r) => r.t).join("\n")],
    ] as const) {
      for (const secret of [
        ON24_ACCOUNT.accessTokenSecret,
        ON24_ACCOUNT.accessTokenKey,
        "wrong-secret-value",
      ]) {
        assert.ok(!text.includes(secret), `a credential in the ${where}`);
      }
      const leaked = emails.find((e) => text.includes(e.email));
      assert.equal(leaked, undefined, `an attendee email in the ${where}`);
      assert.doesNotMatch(text, /@example\.com/, `an email address in the ${where}`);
    }
  });
});
