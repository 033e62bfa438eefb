// The Teams adapter against the Graph simulator (a real HTTP server): tokens, webinars,
// registrations, attendance, throttling and faults.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { DEFAULT_KNOBS } from "../../simulators/teams/types.ts";
import { ProviderError } from "../../src/providers/contract.ts";
import { createTeamsProvider } from "../../src/providers/teams/adapter.ts";
import {
  simJson,
  spec,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_APP_EXPIRED,
  TEAMS_APP_NO_POLICY,
  TEAMS_TENANT,
  type TeamsSim,
  teamsAccount,
} from "../simulators/teams-fixtures.ts";

let sim: TeamsSim;
const account = teamsAccount();
const provider = () => createTeamsProvider({ graphUrl: sim.graphUrl, loginUrl: sim.loginUrl });

async function rejects(p: Promise<unknown>, kind: ProviderError["kind"]): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected ${kind}`);
}

before(async () => {
  sim = await startTeamsSim();
});
after(() => sim.close());
beforeEach(() => {
  sim.state.setKnobs(DEFAULT_KNOBS);
});

describe("Teams adapter: tokens and credentials", () => {
  test("one client-credentials token serves many calls, and concurrent first calls share one request", async () => {
    const p = provider();
    const before = sim.state.tokensIssued.get(TEAMS_APP.clientId) ?? 0;
    const checks = await Promise.all(Array.from({ length: 5 }, () => p.checkCredentials(account)));
    assert.ok(checks.every((c) => c.status === "healthy"));
    await p.checkCredentials(account);
    assert.equal((sim.state.tokensIssued.get(TEAMS_APP.clientId) ?? 0) - before, 1);
  });

  test("a token is fetched again shortly before it expires, and once more after Graph refuses it", async () => {
    sim.state.setKnobs({ tokenLifetimeSeconds: 1 });
    const p = provider();
    const issued = () => sim.state.tokensIssued.get(TEAMS_APP.clientId) ?? 0;
    const start = issued();
    await p.checkCredentials(account);
    await new Promise((r) => setTimeout(r, 600)); // past half of a 1 s token's life
    await p.checkCredentials(account);
    assert.equal(issued() - start, 2);
    sim.state.setKnobs({ tokenLifetimeSeconds: 3599 });
    await p.checkCredentials(account); // the second token is still fresh
    assert.equal(issued() - start, 2);
    sim.state.tokens.clear(); // Graph forgets every token: the next call gets 401, then retries
    assert.equal((await p.checkCredentials(account)).status, "healthy");
    assert.equal(issued() - start, 3);
  });

  test("wrong secret, unknown tenant, expired secret and a missing access policy are told apart", async () => {
    const p = provider();
    const wrong = await p.checkCredentials(teamsAccount({ ...TEAMS_APP, clientSecret: "nope-wrong" }));
    assert.equal(wrong.status, "not_authenticated");
    assert.match(wrong.message, /invalid_client.*AADSTS7000215/);
    assert.ok(!wrong.message.includes("nope-wrong"));
    const tenant = await p.checkCredentials(teamsAccount(TEAMS_APP, "11111111-1111-4111-8111-111111111111"));
    assert.equal(tenant.status, "not_authenticated");
    assert.equal((await p.checkCredentials(teamsAccount(TEAMS_APP_EXPIRED))).status, "token_expired");
    const policy = await p.checkCredentials(teamsAccount(TEAMS_APP_NO_POLICY));
    assert.equal(policy.status, "forbidden");
    assert.match(policy.message, /application access policy/);
    await rejects(p.createWebinar(teamsAccount(TEAMS_APP_NO_POLICY), spec()), "forbidden");
  });
});

describe("Teams adapter: request deadline", () => {
  test("the provider timeout setting bounds every Graph request", async () => {
    sim.state.setKnobs({ ...DEFAULT_KNOBS, latencyMs: 2_000 });
    const slow = createTeamsProvider({ graphUrl: sim.graphUrl, loginUrl: sim.loginUrl, timeoutMs: 300 });
    const started = Date.now();
    const health = await slow.checkCredentials(account);
    assert.equal(health.status, "unhealthy");
    assert.match(health.message ?? "", /timed out/);
    assert.ok(Date.now() - started < 1_900, "the 2 s answer was not waited for");
  });
});

describe("Teams adapter: webinars", () => {
  test("created as a draft, then published; the join link is the session's", async () => {
    const p = provider();
    const w = await p.createWebinar(account, spec("Launch"));
    assert.match(w.providerWebinarId, new RegExp(`@${TEAMS_TENANT}$`));
    const ev = sim.state.events.get(w.providerWebinarId);
    assert.equal(ev?.status, "published");
    assert.equal(ev?.displayName, "Launch");
    assert.equal(w.joinUrl, ev?.sessions[0]?.joinWebUrl);
    await p.updateWebinar(account, w.providerWebinarId, { ...spec("Launch, moved"), webinarType: "webinar" });
    assert.equal(ev?.displayName, "Launch, moved");
  });

  test("a publish applied but answered with a fault is retried in place and not taken for a refusal", async () => {
    const p = provider();
    let published = 0;
    for (let i = 0; i < 6; i++) {
      // Every write faults after commit once in two: create or publish may be hit, never both lost.
      sim.state.setKnobs({ faultRate: 0.5, faultAfterCommitShare: 1 });
      try {
        const w = await p.createWebinar(account, spec());
        assert.equal(sim.state.events.get(w.providerWebinarId)?.status, "published");
        published++;
      } catch (err) {
        // Only the create itself may be lost (the engine retries it); never an `invalid`.
        assert.ok(err instanceof ProviderError && err.kind === "transient", String(err));
      } finally {
        sim.state.setKnobs({ faultRate: 0 });
      }
    }
    assert.ok(published > 0);
  });

  test("cancel is idempotent: already cancelled or unknown is success", async () => {
    const p = provider();
    const w = await p.createWebinar(account, spec());
    await p.deleteWebinar(account, w.providerWebinarId);
    assert.deepEqual(await simJson(sim, `/webinars/${w.providerWebinarId}`), {
      exists: false,
      status: "canceled",
      collection: "webinars",
    });
    await p.deleteWebinar(account, w.providerWebinarId);
    await p.deleteWebinar(account, `00000000-0000-4000-8000-000000000000@${TEAMS_TENANT}`);
    await rejects(p.deleteWebinar(account, "../../subscriptions"), "invalid");
  });

  test("town halls are offered, created in their own collection, and refuse registrations clearly", async () => {
    const p = provider();
    assert.deepEqual(
      p.webinarTypes?.().map((t) => t.id),
      ["webinar", "townhall"],
    );
    const th = await p.createWebinar(account, { ...spec("All hands"), webinarType: "townhall" });
    assert.match(th.providerWebinarId, /^townhall:/);
    assert.equal(
      sim.state.events.get(th.providerWebinarId.slice("townhall:".length))?.collection,
      "townhalls",
    );
    const err = await rejects(
      p.register(account, th.providerWebinarId, {
        email: "a@example.com",
        firstName: "A",
        lastName: "B",
        company: null,
        jobTitle: null,
      }),
      "invalid",
    );
    assert.match(err.message, /town halls have no registrations/);
    await rejects(p.createWebinar(account, { ...spec(), webinarType: "meeting" }), "invalid");
  });
});

describe("Teams adapter: registrations and attendance", () => {
  const person = (email: string, lastName = "Tester") => ({
    email,
    firstName: "Pat",
    lastName,
    company: null,
    jobTitle: null,
  });

  test("Graph's 204 without an id: the registration is found by e-mail, quotes included", async () => {
    const p = provider();
    const w = await p.createWebinar(account, spec());
    const reg = await p.register(account, w.providerWebinarId, person("o'brien+tag@example.com"));
    const held = await simJson(sim, `/webinars/${w.providerWebinarId}/registrants`);
    assert.equal(held.length, 1);
    assert.equal(reg.providerRegistrantId, held[0].providerRegistrantId);
    assert.equal(reg.joinUrl, sim.state.events.get(w.providerWebinarId)?.sessions[0]?.joinWebUrl);
    const found = await p.findRegistrantByEmail?.(account, w.providerWebinarId, "O'Brien+TAG@example.com");
    assert.equal(found?.providerRegistrantId, reg.providerRegistrantId);
    assert.equal(await p.findRegistrantByEmail?.(account, w.providerWebinarId, "nobody@example.com"), null);
    const err = await rejects(
      p.register(account, w.providerWebinarId, person("x@example.com", " ")),
      "invalid",
    );
    assert.match(err.message, /lastName/);
  });

  test("a 409 for an e-mail already registered is conflict, and the lookup finds the first registration", async () => {
    sim.state.setKnobs({ duplicateEmail: "conflict" });
    const p = provider();
    const w = await p.createWebinar(account, spec());
    const first = await p.register(account, w.providerWebinarId, person("twice@example.com"));
    const err = await rejects(
      p.register(account, w.providerWebinarId, person("twice@example.com")),
      "conflict",
    );
    assert.ok(!err.message.includes("twice@example.com"));
    const found = await p.findRegistrantByEmail?.(account, w.providerWebinarId, "twice@example.com");
    assert.equal(found?.providerRegistrantId, first.providerRegistrantId);
  });

  test("cancelling a registration reaches Graph; cancelling again is success", async () => {
    const p = provider();
    const w = await p.createWebinar(account, spec());
    const reg = await p.register(account, w.providerWebinarId, person("cancel@example.com"));
    await p.cancelRegistration(account, w.providerWebinarId, reg);
    await p.cancelRegistration(account, w.providerWebinarId, reg);
    const held = await simJson(sim, `/webinars/${w.providerWebinarId}/registrants`);
    assert.equal(held[0].status, "cancelled");
    assert.equal(await p.findRegistrantByEmail?.(account, w.providerWebinarId, "cancel@example.com"), null);
  });

  test("erasure cancels the registration (Graph has no delete) and says the record stays", async () => {
    const p = provider();
    const w = await p.createWebinar(account, spec());
    await p.register(account, w.providerWebinarId, person("erase@example.com"));
    await p.register(account, w.providerWebinarId, person("stay@example.com"));
    const result = await p.erasePerson?.(account, "erase@example.com", [
      // No id stored: found by address.
      { providerWebinarId: w.providerWebinarId, providerRegistrantId: null },
    ]);
    const held = await simJson(sim, `/webinars/${w.providerWebinarId}/registrants`);
    const status = (email: string) => held.find((r: { email: string }) => r.email === email)?.status;
    assert.equal(status("erase@example.com"), "cancelled");
    assert.equal(status("stay@example.com"), "registered");
    assert.equal(result?.retained.length, 1);
    assert.match(result?.retained[0] ?? "", /no call to delete a webinar registration/);
    assert.ok(!JSON.stringify(result).includes("erase@"), "no address in the result");
    // Again: already cancelled (and found by address no more) is success.
    await p.erasePerson?.(account, "erase@example.com", [
      { providerWebinarId: w.providerWebinarId, providerRegistrantId: null },
    ]);
  });

  test("attendance is summed per person over reports and pages, equal to the simulator's", async () => {
    sim.state.setKnobs({ pageSize: 2 });
    const p = provider();
    const w = await p.createWebinar(account, spec());
    const regs = [];
    for (const e of ["a@example.com", "b@example.com", "c@example.com"]) {
      regs.push(await p.register(account, w.providerWebinarId, person(e)));
    }
    const first = await simJson(sim, `/webinars/${w.providerWebinarId}/run`, {
      attendees: [
        { email: "a@example.com", minutes: 30, intervals: 3 },
        { email: "b@example.com", minutes: 12 },
        { email: "walkin@example.com", minutes: 5 },
      ],
    });
    const second = await simJson(sim, `/webinars/${w.providerWebinarId}/run`, {
      attendees: [
        { email: "a@example.com", minutes: 15 },
        { email: "c@example.com", minutes: 0.4 },
      ],
    });
    const page = await p.listAttendance(account, w.providerWebinarId, null);
    assert.equal(page.nextCursor, null);
    const byEmail = new Map(page.records.map((r) => [r.email, r]));
    const expected = new Map<string, number>();
    for (const run of [first, second]) {
      for (const [e, m] of Object.entries(run.minutes as Record<string, number>))
        expected.set(e, (expected.get(e) ?? 0) + m);
    }
    assert.equal(byEmail.size, expected.size);
    for (const [email, minutes] of expected) {
      assert.equal(byEmail.get(email)?.liveMinutes, Math.max(1, Math.round(minutes)), email);
    }
    assert.equal(byEmail.get("a@example.com")?.liveMinutes, 45);
    assert.equal(byEmail.get("c@example.com")?.liveMinutes, 1); // 24 s still counts as attended
    assert.equal(byEmail.get("a@example.com")?.providerRegistrantId, regs[0]?.providerRegistrantId);
    assert.match(byEmail.get("walkin@example.com")?.providerRegistrantId ?? "", /^walkin-[0-9a-f]{24}$/);
    assert.ok(byEmail.get("a@example.com")?.firstActivityAt instanceof Date);
  });

  test("429 becomes rate_limited with Graph's Retry-After", async () => {
    const p = provider();
    await p.checkCredentials(account); // token first: the limit counts Graph calls only
    sim.state.setKnobs({ requestsPerSecond: 1 });
    await new Promise((r) => setTimeout(r, 1000));
    await p.createWebinar(account, spec()).catch(() => undefined);
    const err = await rejects(p.createWebinar(account, spec()), "rate_limited");
    assert.equal(err.details.status, 429);
    assert.equal(err.details.retryAfterMs, 1000);
  });

  test("a fault before commit stores nothing; after commit the registration exists and is adopted by lookup", async () => {
    const p = provider();
    const w = await p.createWebinar(account, spec());
    sim.state.setKnobs({ faultRate: 1, faultAfterCommitShare: 0 });
    await rejects(p.register(account, w.providerWebinarId, person("before@example.com")), "transient");
    sim.state.setKnobs({ faultRate: 1, faultAfterCommitShare: 1 });
    await rejects(p.register(account, w.providerWebinarId, person("after@example.com")), "transient");
    sim.state.setKnobs({ faultRate: 0 });
    const held = await simJson(sim, `/webinars/${w.providerWebinarId}/registrants`);
    assert.deepEqual(
      held.map((r: { email: string }) => r.email),
      ["after@example.com"],
    );
    const adopted = await p.findRegistrantByEmail?.(account, w.providerWebinarId, "after@example.com");
    assert.equal(adopted?.providerRegistrantId, held[0].providerRegistrantId);
  });
});
