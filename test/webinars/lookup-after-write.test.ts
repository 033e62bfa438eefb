import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createSyncWorker } from "../../src/modules/webinars/sync/index.ts";
import type { ProviderKind, WebinarProvider } from "../../src/providers/contract.ts";
import { createTeamsProvider } from "../../src/providers/teams/adapter.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  simJson,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
} from "../simulators/teams-fixtures.ts";
import { registerMany } from "./fixtures.ts";

/**
 * Once a write may have been sent, the next attempt looks up first, whatever ended the attempt.
 * The case: Teams registers with a POST and then reads the registration back (Graph answers the
 * POST with 204 and no id). When that read is refused (429 → deferred; 401 → held), the POST has
 * already reached Graph. A deferred or held outcome does not count the attempt, so the next
 * attempt must still know a write went out and look the person up before registering.
 *
 * The real Teams adapter talks to the Teams simulator through a fetch that refuses exactly that
 * read-back once; the handlers run directly (no worker), so each attempt is one call here.
 */
const sim = await startTeamsSim();
testEnv.AUDITORIUM_GRAPH_URL = sim.graphUrl;
testEnv.AUDITORIUM_MS_LOGIN_URL = sim.loginUrl;
after(() => sim.close());

/**
 * Requests the adapter sent, and a refusal of the read-backs after a registration POST (`times`
 * of them: the Teams client retries a 401 once with a fresh token).
 */
function faultyNetwork(refusal: {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  times: number;
}) {
  const sent: { method: string; path: string }[] = [];
  let refuseReadBack = 0;
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    if (url.pathname.endsWith("/registrations") || url.pathname.includes("/registrations?")) {
      if (method === "GET" && refuseReadBack > 0) {
        refuseReadBack--;
        sent.push({ method, path: url.pathname });
        return new Response(JSON.stringify(refusal.body), {
          status: refusal.status,
          headers: { "content-type": "application/json", ...refusal.headers },
        });
      }
    }
    const res = await fetch(input, init);
    if (url.pathname.endsWith("/registrations")) {
      sent.push({ method, path: url.pathname });
      if (method === "POST" && res.status < 300 && armed.value) refuseReadBack = refusal.times;
    }
    return res;
  };
  const armed = { value: true };
  return { fetchFn, sent, armed, posts: () => sent.filter((r) => r.method === "POST").length };
}

forEachBackend("a write that may have been sent is looked up first on the next attempt", (ctx) => {
  let org: TestOrg;
  let configurationId: string;
  before(async () => {
    org = await ctx.createOrg("lookup-after-write");
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: org.tokens.admin });
    await ctx.request("POST", "/api/v1/webinar/terms/accept", {
      token: org.tokens.admin,
      body: { version: terms.body.version },
    });
    const config = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: org.tokens.admin,
      body: {
        provider: "teams",
        name: "Teams",
        requestsPerSecond: 200,
        settings: { tenantId: TEAMS_TENANT, organizerUserId: TEAMS_ORGANIZER },
        credentials: TEAMS_APP,
      },
    });
    assert.equal(config.status, 201, config.text);
    configurationId = config.body.id;
  });

  for (const refusal of [
    {
      name: "deferred (429 on the read-back)",
      status: 429,
      headers: { "retry-after": "1" },
      body: { error: { code: "TooManyRequests", message: "Too many requests" } },
      times: 1,
      outcome: "deferred",
    },
    {
      name: "held (401 on the read-back)",
      status: 401,
      body: { error: { code: "InvalidAuthenticationToken", message: "Access token is invalid." } },
      times: 2,
      outcome: "held",
    },
  ]) {
    test(`${refusal.name}: the next attempt finds the registration instead of posting it again`, async () => {
      const network = faultyNetwork(refusal);
      const teams = createTeamsProvider({
        graphUrl: sim.graphUrl,
        loginUrl: sim.loginUrl,
        fetch: network.fetchFn,
      });
      const providers = { ...ctx.runtime.providers, teams } as Record<ProviderKind, WebinarProvider>;
      const worker = createSyncWorker({
        database: ctx.database,
        queue: ctx.runtime.queue,
        providers,
        configurations: ctx.services.configurations,
        contacts: ctx.services.contacts,
        gate: ctx.runtime.gate,
        envelope: ctx.runtime.envelope,
      });
      const start = new Date(Date.now() + 3600_000);
      const event = await ctx.request("POST", "/api/v1/events", {
        token: org.tokens.marketer,
        body: {
          title: `Read-back refused: ${refusal.outcome}`,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          timeZone: "Europe/Oslo",
          format: "webinar",
          webinarConfigurationId: configurationId,
          webinarType: "webinar",
        },
      });
      assert.equal(event.status, 201, event.text);
      const webinar = await ctx.database.db
        .selectFrom("webinars")
        .select("id")
        .where("event_id", "=", event.body.id)
        .executeTakeFirstOrThrow();
      await worker.handlers["webinar.sync"]({ webinarId: webinar.id });
      const [registrationId] = await registerMany(ctx, org, event.body.id, 1, `readback-${refusal.outcome}-`);
      const job = { registrationId: registrationId as string, webinarId: webinar.id };
      const row = () =>
        ctx.database.db
          .selectFrom("registration_syncs")
          .select(["state", "provider_registrant_id", "last_error"])
          .where("registration_id", "=", job.registrationId)
          .where("webinar_id", "=", job.webinarId)
          .executeTakeFirstOrThrow();

      await worker.handlers["registration.sync"](job);
      assert.equal(network.posts(), 1, "the first attempt posted the registration");
      const first = await row();
      assert.notEqual(first.state, "synced", "the read-back was refused");
      if (refusal.outcome === "held") {
        // Credentials are fine again (the refusal was one answer): the work is released as after a fix.
        assert.equal(first.state, "held");
        await ctx.database.db
          .updateTable("registration_syncs")
          .set({ state: "pending" })
          .where("registration_id", "=", job.registrationId)
          .execute();
        await ctx.database.db
          .updateTable("webinar_configurations")
          .set({ health_status: "healthy" })
          .where("id", "=", configurationId)
          .execute();
      }
      await ctx.database.db
        .updateTable("webinar_configurations")
        .set({ paused_until: null })
        .where("id", "=", configurationId)
        .execute();

      network.armed.value = false;
      await worker.handlers["registration.sync"](job);
      const second = await row();
      assert.equal(second.state, "synced", second.last_error ?? "");
      assert.equal(network.posts(), 1, "the next attempt looked the person up instead of posting again");
      const atGraph = await simJson<{ email: string; createdCount: number }[]>(
        sim,
        `/webinars/${encodeURIComponent((await ctx.database.db.selectFrom("webinars").select("provider_webinar_id").where("id", "=", webinar.id).executeTakeFirstOrThrow()).provider_webinar_id ?? "")}/registrants`,
      );
      assert.deepEqual(
        atGraph.map((r) => r.createdCount),
        [1],
      );
    });
  }
});
