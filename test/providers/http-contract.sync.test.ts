// The open contract through the REAL sync engine: a configuration pointing at the reference
// implementation, provisioning, registrations with personal join links, cancellation, attendance
// minutes back, and no duplicate under faults even when the service does not dedupe by e-mail.
// Real HTTP, the real database (PGlite, and server PostgreSQL when TEST_DATABASE_URL is set).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { registerMany, waitSynced, waitUntil } from "../webinars/fixtures.ts";
import { CONTRACT_ACCOUNT } from "./drivers/http-contract.ts";

const sim: ContractSimulator = await startContractSimulator({
  clients: [{ clientId: CONTRACT_ACCOUNT.clientId, clientSecret: CONTRACT_ACCOUNT.clientSecret }],
});
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "8";
after(() => sim.close());

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sim.url}/_sim${path}`, {
    method,
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  return { status: res.status, body: (await res.json()) as any };
};
type SimRow = { email: string; providerRegistrantId: string; status: string; createdCount: number };
const simRegistrants = async (w: string) =>
  (await control("GET", `/webinars/${encodeURIComponent(w)}/registrants`)).body.data as SimRow[];

forEachBackend("webinar sync with the open contract", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("contract-org");
    await ctx.services.syncWorker.start();
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: org.tokens.admin });
    await ctx.request("POST", "/api/v1/webinar/terms/accept", {
      token: org.tokens.admin,
      body: { version: terms.body.version },
    });
  });

  const createConfiguration = (settings: Record<string, unknown>, credentials: Record<string, unknown>) =>
    ctx.request("POST", "/api/v1/webinar-configurations", {
      token: org.tokens.admin,
      body: { provider: "http-contract", name: "Partner", settings, credentials, requestsPerSecond: 200 },
    });

  async function setup(title: string, webinarType?: string) {
    const config = await createConfiguration({ baseUrl: sim.baseUrl }, CONTRACT_ACCOUNT);
    assert.equal(config.status, 201, config.text);
    const start = new Date(Date.now() + 3600_000);
    const event = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        timeZone: "Europe/Oslo",
        format: "webinar",
        webinarConfigurationId: config.body.id,
        ...(webinarType !== undefined && { webinarType }),
      },
    });
    assert.equal(event.status, 201, event.text);
    return { configId: config.body.id as string, eventId: event.body.id as string };
  }

  const webinarOf = async (eventId: string) =>
    (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer })).body
      .data[0];

  test("configuration: bad base URL or missing webhook secret is a 400 naming the field; secrets never returned", async () => {
    for (const baseUrl of [
      "ftp://partner.example/v1",
      "javascript:alert(1)",
      "http://u:p@partner.example/v1",
    ]) {
      const res = await createConfiguration({ baseUrl }, CONTRACT_ACCOUNT);
      assert.equal(res.status, 400, baseUrl);
      assert.equal(res.body.error.details?.field ?? res.body.error.field, "settings.baseUrl", res.text);
    }
    const { webhookSecret: _omitted, ...withoutHook } = CONTRACT_ACCOUNT;
    const missing = await createConfiguration({ baseUrl: sim.baseUrl }, withoutHook);
    assert.equal(missing.status, 400);
    assert.match(missing.text, /credentials\.webhookSecret/);
    const { configId } = await setup("Config check");
    const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
      token: org.tokens.admin,
    });
    assert.equal(checked.body.health.status, "healthy", checked.text);
    assert.deepEqual(Object.keys(checked.body.credentials).sort(), [
      "clientId",
      "clientSecret",
      "webhookSecret",
    ]);
    assert.ok(checked.body.enabled);
    for (const secret of [CONTRACT_ACCOUNT.clientSecret, CONTRACT_ACCOUNT.webhookSecret])
      assert.ok(!checked.text.includes(secret));
  });

  test("registrations reach the service once with personal join links; a cancellation follows; attendance minutes come back", async () => {
    const { eventId } = await setup("Contract webinar");
    const ids = await registerMany(ctx, org, eventId, 30, "contract");
    await waitSynced(ctx, eventId, 30, "all synced");
    const webinar = await webinarOf(eventId);
    assert.equal(webinar.state, "provisioned");
    const w = webinar.providerWebinarId as string;
    const rows = await simRegistrants(w);
    assert.equal(rows.length, 30);
    assert.ok(rows.every((r) => r.createdCount === 1 && r.status === "registered"));
    const reg = await ctx.request("GET", `/api/v1/registrations/${ids[0]}`, { token: org.tokens.viewer });
    assert.equal(reg.body.webinar[0].state, "synced");
    const atService = rows.find((r) => r.email === "contract0@example.com");
    assert.ok(
      atService && String(reg.body.webinar[0].joinUrl).endsWith(`?r=${atService.providerRegistrantId}`),
    );

    await ctx.request("POST", `/api/v1/registrations/${ids[0]}/cancel`, { token: org.tokens.marketer });
    await waitUntil("cancel reached the service", async () =>
      (await simRegistrants(w)).some((r) => r.email === "contract0@example.com" && r.status === "cancelled"),
    );

    const attendees = [
      ...Array.from({ length: 12 }, (_, i) => ({
        email: `contract${i + 1}@example.com`,
        minutes: 5 + i * 4,
      })),
      { email: "contract13@example.com", minutes: 0, onDemandMinutes: 25 },
      { email: "walk-in@example.com", minutes: 9 },
    ];
    const run = await control("POST", `/webinars/${w}/run`, { attendees });
    assert.equal(run.status, 200);
    const expected = new Map<string, { liveMinutes: number; onDemandMinutes: number }>(
      run.body.attendees.map((a: { email: string; liveMinutes: number; onDemandMinutes: number }) => [
        a.email,
        a,
      ]),
    );
    await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, { token: org.tokens.marketer });
    await waitUntil("attendance stored", async () => (await webinarOf(eventId)).lastMetricsAt);
    const ours = await ctx.database.db
      .selectFrom("attendance as a")
      .innerJoin("registrations as r", "r.id", "a.registration_id")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select(["c.email", "a.live_minutes", "a.on_demand_minutes", "r.source"])
      .where("r.event_id", "=", eventId)
      .execute();
    assert.equal(ours.length, expected.size);
    for (const o of ours) {
      const e = expected.get(o.email);
      assert.ok(e, `unexpected attendance for ${o.email}`);
      assert.equal(o.live_minutes, e.liveMinutes, o.email);
      assert.equal(o.on_demand_minutes, e.onDemandMinutes, o.email);
    }
    assert.deepEqual(
      ours.filter((o) => o.source === "provider").map((o) => o.email),
      ["walk-in@example.com"],
    );
  });

  test("faults before and after commit at a service that does not dedupe: every person exactly once", async () => {
    const { eventId } = await setup("Faulty partner");
    await registerMany(ctx, org, eventId, 1, "warm");
    await waitSynced(ctx, eventId, 1, "provisioned");
    const w = (await webinarOf(eventId)).providerWebinarId as string;
    await control("POST", "/knobs", {
      faultBeforeCommitRate: 0.15,
      faultAfterCommitRate: 0.15,
      idempotentByEmail: false,
    });
    const requestsBefore = sim.state.requests.total;
    try {
      await registerMany(ctx, org, eventId, 25, "faulty");
      await waitSynced(ctx, eventId, 26, "all synced under faults", 120_000);
    } finally {
      await control("POST", "/knobs", {
        faultBeforeCommitRate: 0,
        faultAfterCommitRate: 0,
        idempotentByEmail: true,
      });
    }
    const rows = await simRegistrants(w);
    assert.equal(rows.length, 26);
    const dupes = rows.filter((r) => r.createdCount !== 1);
    assert.deepEqual(dupes, [], "a person was registered twice");
    const retried = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM registration_syncs s JOIN registrations r ON r.id = s.registration_id
      WHERE r.event_id = ${eventId} AND s.attempts > 1`.execute(ctx.database.db);
    console.log(
      `http-contract faults: 26 registrations, ${retried.rows[0]?.n} retried, ${sim.state.requests.total - requestsBefore} requests, 0 duplicates`,
    );
    assert.ok((retried.rows[0]?.n ?? 0) > 0, "faults at 30 % must have caused retries");
  });

  test("an event's webinar type is passed on; one the service does not offer fails visibly, naming it", async () => {
    const { eventId } = await setup("Town hall", "town-hall");
    await registerMany(ctx, org, eventId, 1, "typed");
    await waitSynced(ctx, eventId, 1, "synced");
    const w = (await webinarOf(eventId)).providerWebinarId as string;
    assert.equal((await control("GET", `/webinars/${w}`)).body.webinar.type, "town-hall");

    const unknown = await setup("Galaxy", "galaxy");
    const failed = await waitUntil("provisioning failed", async () => {
      const web = await webinarOf(unknown.eventId);
      return web?.state === "failed" ? web : null;
    });
    assert.match(JSON.stringify(failed), /validation_failed: type/);
  });

  test("cancelling the event deletes the webinar at the service", async () => {
    const { eventId } = await setup("Cancelled partner webinar");
    await registerMany(ctx, org, eventId, 2, "gone");
    await waitSynced(ctx, eventId, 2, "synced");
    const w = (await webinarOf(eventId)).providerWebinarId as string;
    await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: org.tokens.marketer });
    await waitUntil(
      "deleted at the service",
      async () => (await control("GET", `/webinars/${w}`)).body.exists === false,
    );
  });

  test("no client secret, webhook secret or attendee e-mail in the logs, job payloads or stored errors", async () => {
    const logs = ctx.logs.join("");
    const jobs = await sql<{ t: string }>`SELECT data::text AS t FROM pgboss.job`.execute(ctx.database.db);
    const errors = await sql<{ t: string }>`
      SELECT last_error AS t FROM registration_syncs WHERE last_error IS NOT NULL
      UNION ALL SELECT health_message FROM webinar_configurations WHERE health_message IS NOT NULL`.execute(
      ctx.database.db,
    );
    for (const [where, text] of [
      ["logs", logs],
      ["job payloads", jobs.rows.map((r) => r.t).join("\n")],
      ["stored errors", errors.rows.map((r) => r.t).join("\n")],
    ] as const) {
      for (const secret of [CONTRACT_ACCOUNT.clientSecret, CONTRACT_ACCOUNT.webhookSecret])
        assert.ok(!text.includes(secret), `a secret in the ${where}`);
      assert.doesNotMatch(text, /@example\.com/, `an e-mail address in the ${where}`);
    }
  });
});
