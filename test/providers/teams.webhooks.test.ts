// Teams change notifications end to end against the Graph simulator: subscriptions (create, renew,
// the one-day limit), the validation handshake answered by handleWebhook, deliveries checked by
// clientState, mapped events, and expired subscriptions falling silent.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { DEFAULT_KNOBS } from "../../simulators/teams/types.ts";
import { ProviderError } from "../../src/providers/contract.ts";
import { createTeamsProvider } from "../../src/providers/teams/adapter.ts";
import {
  simJson,
  spec,
  startReceiver,
  startTeamsSim,
  type TeamsSim,
  teamsAccount,
} from "../simulators/teams-fixtures.ts";

const DAY_MS = 24 * 3600_000;
const account = teamsAccount();
let sim: TeamsSim;
let provider: ReturnType<typeof createTeamsProvider>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let clientStates: string[] = [];

before(async () => {
  sim = await startTeamsSim();
  provider = createTeamsProvider({ graphUrl: sim.graphUrl, loginUrl: sim.loginUrl });
  receiver = await startReceiver(provider, account, () => clientStates);
});
after(async () => {
  await sim.close();
  await receiver.close();
});
beforeEach(() => {
  sim.state.setKnobs(DEFAULT_KNOBS);
  clientStates = ["state-live-1"];
  receiver.outcomes.length = 0;
});

/** The optional capabilities, which the Teams adapter always has. */
function subscribe(webinarId: string, url: string, clientState: string) {
  assert.ok(provider.subscribe);
  return provider.subscribe(account, webinarId, url, clientState);
}
function renew(subscriptionId: string) {
  assert.ok(provider.renewSubscription);
  return provider.renewSubscription(account, subscriptionId);
}

const person = (email: string) => ({
  email,
  firstName: "Sam",
  lastName: "Lee",
  company: null,
  jobTitle: null,
});

describe("Teams subscriptions", () => {
  test("subscribe: registrations and attendance reports, handshake answered, expiry within one day", async () => {
    const w = await provider.createWebinar(account, spec());
    const t0 = Date.now();
    const sub = await subscribe(w.providerWebinarId, receiver.url, "state-live-1");
    assert.ok(sub);
    const ids = sub.subscriptionId.split(",");
    assert.equal(ids.length, 2);
    const held = (await simJson(sim, "/subscriptions")).filter((s: { id: string }) => ids.includes(s.id));
    assert.deepEqual(held.map((s: { resource: string }) => s.resource.split("/").pop()).sort(), [
      "getAttendanceReports",
      "registrations",
    ]);
    assert.ok(held.every((s: { clientState: string }) => s.clientState === "state-live-1"));
    const ttl = sub.expiresAt.getTime() - t0;
    assert.ok(ttl <= DAY_MS && ttl > DAY_MS - 5 * 60_000, `lifetime ${ttl}`);
    // Graph validated the URL with a token that handleWebhook echoed as text/plain.
    const handshakes = receiver.outcomes.filter((o) => o.kind === "respond");
    assert.equal(handshakes.length, 2);
    assert.ok(
      handshakes.every((o) => o.kind === "respond" && o.status === 200 && o.contentType === "text/plain"),
    );
  });

  test("subscribing again replaces the webinar's subscriptions (Graph keeps one per app and resource)", async () => {
    const w = await provider.createWebinar(account, spec());
    const old = await subscribe(w.providerWebinarId, receiver.url, "state-old");
    const fresh = await subscribe(w.providerWebinarId, receiver.url, "state-live-1");
    const live = [...sim.state.subscriptions.values()].filter((s) =>
      s.resource.includes(w.providerWebinarId),
    );
    assert.deepEqual(live.map((s) => s.id).sort(), fresh.subscriptionId.split(",").sort());
    assert.ok(live.every((s) => s.clientState === "state-live-1"));
    assert.ok(old.subscriptionId.split(",").every((id) => !sim.state.subscriptions.has(id)));
  });

  test("renewal moves the expiry of both subscriptions; an expired one is not_found", async () => {
    const w = await provider.createWebinar(account, spec());
    const sub = await subscribe(w.providerWebinarId, receiver.url, "state-live-1");
    assert.ok(sub);
    const held = sub.subscriptionId.split(",").map((id) => sim.state.subscriptions.get(id));
    for (const s of held) if (s) s.expirationDateTime = new Date(Date.now() + 3600_000);
    const renewed = await renew(sub.subscriptionId);
    assert.ok(renewed && renewed.expiresAt.getTime() > Date.now() + DAY_MS - 5 * 60_000);
    // Each PATCH moved its own subscription; the reported expiry is the earlier of the two.
    const after = held.map((s) => s?.expirationDateTime.getTime() ?? 0);
    assert.equal(Math.min(...after), renewed.expiresAt.getTime());
    assert.ok(Math.max(...after) - Math.min(...after) < 5_000);
    await simJson(sim, `/subscriptions/${sub.subscriptionId.split(",")[0]}/expire`, {});
    await assert.rejects(
      renew(sub.subscriptionId),
      (e) => e instanceof ProviderError && e.kind === "not_found",
    );
  });

  test("Graph's maximum lifetime is enforced: asking beyond it is refused as invalid", async () => {
    const w = await provider.createWebinar(account, spec());
    sim.state.setKnobs({ maxSubscriptionMinutes: 60 });
    await assert.rejects(
      subscribe(w.providerWebinarId, receiver.url, "state-live-1"),
      (e) => e instanceof ProviderError && e.kind === "invalid" && /60 minutes/.test(e.message),
    );
    // Nothing half-made is left behind.
    const resources = (await simJson(sim, "/subscriptions")).map((s: { resource: string }) => s.resource);
    assert.ok(!resources.some((r: string) => r.includes(w.providerWebinarId)));
  });

  test("an endpoint that does not echo the token fails the subscription", async () => {
    const w = await provider.createWebinar(account, spec());
    await assert.rejects(
      subscribe(w.providerWebinarId, `${sim.url}/nowhere`, "state-live-1"),
      (e) => e instanceof ProviderError && e.kind === "invalid" && /ValidationError/.test(e.message),
    );
  });
});

describe("Teams change notifications", () => {
  test("an attendance report arrives as attendance.changed; registrations resolve through getRegistration", async () => {
    const w = await provider.createWebinar(account, spec());
    await subscribe(w.providerWebinarId, receiver.url, "state-live-1");
    const reg = await provider.register(account, w.providerWebinarId, person("notify@example.com"));
    await simJson(sim, `/webinars/${w.providerWebinarId}/run`, {
      attendees: [{ email: "notify@example.com", minutes: 9 }],
    });
    const deliveries = await simJson(sim, "/notifications");
    const mine = deliveries.filter((d: { resource: string }) => d.resource.includes(w.providerWebinarId));
    assert.deepEqual(
      mine.map((d: { status: number }) => d.status),
      [202, 202],
    );
    assert.deepEqual(receiver.events(), [
      { type: "attendance.changed", providerWebinarId: w.providerWebinarId },
    ]);
    // Registration notifications carry only ids; the adapter turns an id into the registrant event.
    const upserted = await provider.getRegistration(account, w.providerWebinarId, reg.providerRegistrantId);
    assert.equal(upserted?.type, "registrant.upserted");
    assert.equal(upserted?.type === "registrant.upserted" && upserted.registrant.email, "notify@example.com");
    await simJson(
      sim,
      `/webinars/${w.providerWebinarId}/registrations/${reg.providerRegistrantId}/cancel`,
      {},
    );
    const cancelled = await provider.getRegistration(account, w.providerWebinarId, reg.providerRegistrantId);
    assert.deepEqual(cancelled, {
      type: "registrant.cancelled",
      providerWebinarId: w.providerWebinarId,
      providerRegistrantId: reg.providerRegistrantId,
      email: "notify@example.com",
    });
  });

  test("a clientState that is not live is rejected and yields no event", async () => {
    const w = await provider.createWebinar(account, spec());
    await subscribe(w.providerWebinarId, receiver.url, "state-old");
    clientStates = ["state-live-1"]; // the configuration rotated: "state-old" is no longer live
    receiver.outcomes.length = 0;
    await simJson(sim, `/webinars/${w.providerWebinarId}/run`, {
      attendees: [{ email: "x@example.com", minutes: 3 }],
    });
    const mine = (await simJson(sim, "/notifications")).filter((d: { resource: string }) =>
      d.resource.includes(w.providerWebinarId),
    );
    assert.deepEqual(
      mine.map((d: { status: number }) => d.status),
      [401],
    );
    assert.deepEqual(receiver.outcomes, [
      { kind: "rejected", reason: "clientState does not match a live subscription" },
    ]);
    const bogus = provider.handleWebhook?.(
      account,
      { headers: {}, query: {}, rawBody: Buffer.from("{nope") },
      {
        now: new Date(),
        clientStates,
      },
    );
    assert.equal(bogus?.kind, "rejected");
  });

  test("an expired subscription delivers nothing", async () => {
    const w = await provider.createWebinar(account, spec());
    const sub = await subscribe(w.providerWebinarId, receiver.url, "state-live-1");
    for (const id of sub.subscriptionId.split(",")) await simJson(sim, `/subscriptions/${id}/expire`, {});
    await simJson(sim, `/webinars/${w.providerWebinarId}/run`, {
      attendees: [{ email: "late@example.com", minutes: 3 }],
    });
    const mine = (await simJson(sim, "/notifications")).filter((d: { resource: string }) =>
      d.resource.includes(w.providerWebinarId),
    );
    assert.equal(mine.length, 0);
  });
});

describe("Teams notification mapping", () => {
  const deliver = (value: unknown[]) =>
    provider.handleWebhook?.(
      account,
      { headers: {}, query: {}, rawBody: Buffer.from(JSON.stringify({ value })) },
      { now: new Date(), clientStates: ["s1", "s2"] },
    );

  test("sessions, town halls and a missed lifecycle notice poll once per webinar; registrations and unknown resources add nothing", () => {
    const out = deliver([
      {
        clientState: "s1",
        changeType: "created",
        resource: "solutions/virtualEvents/webinars/w1@t/sessions",
      },
      {
        clientState: "s2",
        changeType: "created",
        resource: "solutions/virtualEvents/webinars/w1@t/getAttendanceReports",
      },
      {
        clientState: "s1",
        changeType: "created",
        resource: "solutions/virtualEvents/townhalls/th1@t/getAttendanceReports",
      },
      {
        clientState: "s1",
        lifecycleEvent: "missed",
        resource: "solutions/virtualEvents/webinars/w2@t/registrations",
      },
      {
        clientState: "s1",
        lifecycleEvent: "reauthorizationRequired",
        resource: "solutions/virtualEvents/webinars/w3@t/registrations",
      },
      {
        clientState: "s1",
        changeType: "created",
        resource: "solutions/virtualEvents/webinars/w4@t/registrations",
      },
      { clientState: "s1", changeType: "created", resource: "users/someone/messages" },
    ]);
    assert.deepEqual(out, {
      kind: "events",
      events: [
        { type: "attendance.changed", providerWebinarId: "w1@t" },
        { type: "attendance.changed", providerWebinarId: "townhall:th1@t" },
        { type: "attendance.changed", providerWebinarId: "w2@t" },
      ],
    });
  });

  test("one unknown clientState rejects the whole delivery; so does a missing one", () => {
    const good = {
      clientState: "s1",
      changeType: "created",
      resource: "solutions/virtualEvents/webinars/w1@t/sessions",
    };
    assert.equal(deliver([good, { ...good, clientState: "s3" }])?.kind, "rejected");
    assert.equal(deliver([{ ...good, clientState: undefined }])?.kind, "rejected");
    assert.equal(deliver([])?.kind, "rejected");
  });

  test("a town hall subscribes to attendance reports only", async () => {
    const th = await provider.createWebinar(account, { ...spec("All hands"), webinarType: "townhall" });
    const sub = await subscribe(th.providerWebinarId, receiver.url, "state-live-1");
    const ids = sub.subscriptionId.split(",");
    assert.equal(ids.length, 1);
    assert.match(
      sim.state.subscriptions.get(ids[0] ?? "")?.resource ?? "",
      /^solutions\/virtualEvents\/townhalls\/.+\/getAttendanceReports$/,
    );
  });
});
