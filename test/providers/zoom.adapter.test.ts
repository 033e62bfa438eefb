import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { ProviderError } from "../../src/providers/contract.ts";
import { createZoomProvider } from "../../src/providers/zoom/adapter.ts";
import { person, startZoomSim, webinarSpec, zoomAccount } from "../simulators/zoom-harness.ts";

const sim = await startZoomSim();
after(() => sim.close());

const account = zoomAccount();
const fresh = () => createZoomProvider({ apiUrl: sim.apiUrl, oauthUrl: sim.oauthUrl });
const tokenRequests = () => sim.state.requests.byEndpoint["POST /oauth/token"] ?? 0;
const simRegistrants = async (webinarId: string) => {
  const res = await fetch(`${sim.url}/_sim/webinars/${webinarId}/registrants`);
  return (await res.json()) as {
    email: string;
    providerRegistrantId: string;
    status: string;
    createdCount: number;
  }[];
};

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

beforeEach(() => sim.state.reset());

describe("Zoom adapter: token", () => {
  test("20 concurrent callers share one token request", async () => {
    const zoom = fresh();
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => zoom.createWebinar(account, webinarSpec({ title: `W${i}` }))),
    );
    assert.equal(new Set(created.map((c) => c.providerWebinarId)).size, 20);
    assert.equal(tokenRequests(), 1);
  });

  test("a token Zoom expired is refreshed once for 20 concurrent callers, and each call retried once", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    assert.equal(tokenRequests(), 1);
    sim.state.expireAllTokens();
    const before = sim.state.requests.byEndpoint["POST /webinars/{webinarId}/registrants"] ?? 0;
    const regs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => zoom.register(account, providerWebinarId, person(i, "exp"))),
    );
    assert.equal(regs.length, 20);
    assert.equal(tokenRequests(), 2);
    // Each caller: one refused attempt with the expired token, one retry with the new one.
    assert.equal(sim.state.requests.byEndpoint["POST /webinars/{webinarId}/registrants"], before + 40);
  });

  test("a token past its lifetime on Zoom's clock is replaced", async () => {
    sim.state.setKnobs({ tokenLifetimeSeconds: 120 });
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    sim.state.advanceClock(121_000);
    await zoom.updateWebinar(account, providerWebinarId, webinarSpec({ title: "Renamed" }));
    assert.equal(tokenRequests(), 2);
    assert.equal(sim.state.webinars.get(Number(providerWebinarId))?.topic, "Renamed");
  });

  test("unusable credentials are `auth` and check as not authenticated, without the secret", async () => {
    const zoom = fresh();
    for (const bad of [{ clientSecret: "wrong-secret-value" }, { accountId: "someone-else" }]) {
      const err = await rejection(zoom.createWebinar(zoomAccount(bad), webinarSpec()));
      assert.equal(err.kind, "auth");
      assert.ok(!err.message.includes("wrong-secret-value"));
      const check = await zoom.checkCredentials(zoomAccount(bad));
      assert.equal(check.status, "not_authenticated");
    }
    assert.equal((await zoom.checkCredentials(account)).status, "healthy");
  });
});

describe("Zoom adapter: webinars and registrants", () => {
  test("create, update and delete a webinar; deleting it again is success", async () => {
    const zoom = fresh();
    const spec = webinarSpec({ webinarType: "5" });
    const created = await zoom.createWebinar(account, spec);
    assert.match(created.providerWebinarId, /^\d+$/);
    assert.ok(created.joinUrl);
    const w = sim.state.webinars.get(Number(created.providerWebinarId));
    assert.equal(w?.topic, spec.title);
    assert.equal(w?.duration, 90);
    assert.equal(w?.timezone, "Europe/Oslo");
    assert.equal(w?.startTime, `${spec.startsAt.toISOString().slice(0, 19)}Z`);
    await zoom.updateWebinar(account, created.providerWebinarId, webinarSpec({ title: "New title" }));
    assert.equal(w?.topic, "New title");
    await zoom.deleteWebinar(account, created.providerWebinarId);
    assert.equal(w?.deleted, true);
    await zoom.deleteWebinar(account, created.providerWebinarId);
    const err = await rejection(zoom.register(account, created.providerWebinarId, person(1)));
    assert.equal(err.kind, "not_found");
  });

  test("webinar types are 5, 6 and 9, and each can be created", async () => {
    const zoom = fresh();
    assert.deepEqual(
      zoom.webinarTypes?.().map((t) => t.id),
      ["5", "6", "9"],
    );
    for (const type of ["5", "6", "9"]) {
      const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec({ webinarType: type }));
      assert.equal(sim.state.webinars.get(Number(providerWebinarId))?.type, Number(type));
    }
    const err = await rejection(zoom.createWebinar(account, webinarSpec({ webinarType: "7" })));
    assert.equal(err.kind, "invalid");
  });

  test("register stores a personal join link; the same e-mail again answers the same registrant", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    const a = await zoom.register(account, providerWebinarId, person(1));
    const b = await zoom.register(account, providerWebinarId, person(2));
    assert.ok(a.joinUrl && b.joinUrl && a.joinUrl !== b.joinUrl);
    const again = await zoom.register(account, providerWebinarId, { ...person(1), email: "P1@Example.com" });
    assert.equal(again.providerRegistrantId, a.providerRegistrantId);
    const held = await simRegistrants(providerWebinarId);
    assert.equal(held.length, 2);
    assert.ok(held.every((r) => r.createdCount === 1));
  });

  test("a batch of 30 registers everyone once with their own links; 31 is refused before any call", async () => {
    const zoom = fresh();
    assert.equal(zoom.bulkRegisterMax, 30);
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    const people = Array.from({ length: 30 }, (_, i) => person(i, "batch"));
    const calls = sim.state.requests.total;
    const got = await zoom.bulkRegister?.(account, providerWebinarId, people);
    assert.equal(sim.state.requests.total, calls + 1);
    assert.equal(got?.length, 30);
    assert.deepEqual(
      got?.map((r) => r.email),
      people.map((p) => p.email),
    );
    const held = await simRegistrants(providerWebinarId);
    assert.equal(held.length, 30);
    for (const r of got ?? []) {
      const h = held.find((x) => x.providerRegistrantId === r.providerRegistrantId);
      assert.equal(h?.email, r.email);
    }
    assert.equal(new Set(got?.map((r) => r.joinUrl)).size, 30);
    const err = await rejection(
      zoom.bulkRegister?.(account, providerWebinarId, [...people, person(99)]) ?? Promise.resolve(),
    );
    assert.equal(err.kind, "invalid");
    assert.equal(sim.state.requests.total, calls + 1);
  });

  test("cancel goes through the registrant status endpoint; a second cancel is success", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    const r = await zoom.register(account, providerWebinarId, person(1, "cancel"));
    await zoom.cancelRegistration(account, providerWebinarId, r);
    assert.equal(sim.state.requests.byEndpoint["PUT /webinars/{webinarId}/registrants/status"], 1);
    assert.equal((await simRegistrants(providerWebinarId))[0]?.status, "cancelled");
    assert.equal(await zoom.findRegistrantByEmail?.(account, providerWebinarId, r.email), null);
    await zoom.cancelRegistration(account, providerWebinarId, r);
    await zoom.deleteWebinar(account, providerWebinarId);
    await zoom.cancelRegistration(account, providerWebinarId, r);
  });

  test("erasure deletes the registrant (a cancelled one too, found by address); gone already is success", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    const second = await zoom.createWebinar(account, webinarSpec());
    const r = await zoom.register(account, providerWebinarId, person(1, "erase"));
    const stay = await zoom.register(account, providerWebinarId, person(2, "erase"));
    const cancelled = await zoom.register(account, second.providerWebinarId, person(1, "erase"));
    await zoom.cancelRegistration(account, second.providerWebinarId, cancelled);
    const result = await zoom.erasePerson?.(account, r.email, [
      { providerWebinarId, providerRegistrantId: r.providerRegistrantId },
      // No id stored: looked up by address in every status (a cancelled registrant lists as denied).
      { providerWebinarId: second.providerWebinarId, providerRegistrantId: null },
    ]);
    assert.deepEqual(
      (await simRegistrants(providerWebinarId)).map((x) => x.email),
      [stay.email],
      "deleted, not cancelled",
    );
    assert.deepEqual(await simRegistrants(second.providerWebinarId), []);
    assert.equal(sim.state.requests.byEndpoint["DELETE /webinars/{webinarId}/registrants/{registrantId}"], 2);
    assert.equal(result?.retained.length, 1);
    assert.match(result?.retained[0] ?? "", /reports of past webinars/);
    // A retry after a lost answer, and a deleted webinar: 404s, which are success.
    await zoom.deleteWebinar(account, second.providerWebinarId);
    await zoom.erasePerson?.(account, r.email, [
      { providerWebinarId, providerRegistrantId: r.providerRegistrantId },
      { providerWebinarId: second.providerWebinarId, providerRegistrantId: cancelled.providerRegistrantId },
    ]);
  });

  test("findRegistrantByEmail pages through more than 300 registrants", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    for (let i = 0; i < 330; i += 30) {
      await zoom.bulkRegister?.(
        account,
        providerWebinarId,
        Array.from({ length: 30 }, (_, j) => person(i + j, "page")),
      );
    }
    const last = await zoom.findRegistrantByEmail?.(account, providerWebinarId, "PAGE329@example.com");
    assert.equal(last?.email, "page329@example.com");
    assert.ok(last?.joinUrl);
    assert.equal(sim.state.requests.byEndpoint["GET /webinars/{webinarId}/registrants"], 2);
    assert.equal(await zoom.findRegistrantByEmail?.(account, providerWebinarId, "nobody@example.com"), null);
  });
});

describe("Zoom adapter: attendance", () => {
  test("participants are summed over their join segments, across report pages", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    const people = Array.from({ length: 120 }, (_, i) => person(i, "att"));
    for (let i = 0; i < people.length; i += 30) {
      await zoom.bulkRegister?.(account, providerWebinarId, people.slice(i, i + 30));
    }
    const attendees = people.map((p, i) => ({
      email: p.email,
      minutes: 10 + (i % 50),
      segments: 2 + (i % 4),
    }));
    const res = await fetch(`${sim.url}/_sim/webinars/${providerWebinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendees }),
    });
    const run = (await res.json()) as { minutes: Record<string, number>; segments: number };
    assert.ok(
      run.segments > 300,
      `the report needs more than one page: ${JSON.stringify(run).slice(0, 300)}`,
    );
    const page = await zoom.listAttendance(account, providerWebinarId, null);
    assert.equal(page.nextCursor, null);
    assert.equal(sim.state.requests.byEndpoint["GET /report/webinars/{webinarId}/participants"], 2);
    assert.equal(page.records.length, 120);
    const regs = await simRegistrants(providerWebinarId);
    for (const record of page.records) {
      assert.equal(record.liveMinutes, run.minutes[record.email], record.email);
      assert.equal(
        record.providerRegistrantId,
        regs.find((r) => r.email === record.email)?.providerRegistrantId,
      );
      assert.ok(
        record.firstActivityAt && record.lastActivityAt && record.firstActivityAt < record.lastActivityAt,
      );
    }
  });

  test("no report yet is an empty page", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    assert.deepEqual(await zoom.listAttendance(account, providerWebinarId, null), {
      records: [],
      nextCursor: null,
    });
  });
});
