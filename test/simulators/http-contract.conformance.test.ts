// The reference implementation (simulators/http-contract) against the published contract: every
// answer is validated with the schema docs/provider-contract.openapi.json declares for that
// operation and status, and the contract's promises (authentication, idempotency, validation,
// paging, attendance, erasure) are exercised over real HTTP. Limits, faults and webhooks are in
// http-contract.limits.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startConformance, webinarInput } from "./http-contract-harness.ts";
import { contractOperations } from "./http-contract-spec.ts";

let h: Awaited<ReturnType<typeof startConformance>>;
const call: typeof h.call = (...args) => h.call(...args);
const token: typeof h.token = (...args) => h.token(...args);
before(async () => {
  h = await startConformance();
});
after(() => h.close());

describe("open contract: the reference implementation conforms to docs/provider-contract.openapi.json", () => {
  let tok: string;
  let webinarId: string;

  test("token endpoint: Basic and body client authentication; RFC 6749 errors", async () => {
    tok = await token();
    const viaBody = await call("POST", "/oauth/token", {
      form: "grant_type=client_credentials&client_id=client-b&client_secret=secret-b",
    });
    assert.equal(viaBody.status, 200);
    assert.equal(viaBody.headers.get("cache-control"), "no-store");
    const wrong = await call("POST", "/oauth/token", {
      headers: { authorization: `Basic ${Buffer.from("client-a:nope").toString("base64")}` },
      form: "grant_type=client_credentials",
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, "invalid_client");
    assert.ok(wrong.headers.get("www-authenticate"));
    const grant = await call("POST", "/oauth/token", { form: "grant_type=password" });
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, "unsupported_grant_type");
  });

  test("no or a bad bearer token: 401 invalid_token with WWW-Authenticate", async () => {
    for (const t of [undefined, "not-a-token"]) {
      const res = await call("GET", "/webinar-types", { ...(t ? { token: t } : {}) });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, "invalid_token");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
  });

  test("webinar types: exactly one default", async () => {
    const res = await call("GET", "/webinar-types", { token: tok });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.filter((t: { default: boolean }) => t.default).length, 1);
  });

  test("create webinar: Idempotency-Key replays the first answer; reuse with another body is 422", async () => {
    const before = h.sim.state.webinars.size;
    const key = { "idempotency-key": "webinar:conf-1" };
    const first = await call("POST", "/webinars", { token: tok, json: webinarInput(), headers: key });
    assert.equal(first.status, 201);
    const again = await call("POST", "/webinars", { token: tok, json: webinarInput(), headers: key });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(h.sim.state.webinars.size, before + 1, "a repeated key created a second webinar");
    const reused = await call("POST", "/webinars", { token: tok, json: webinarInput("Other"), headers: key });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, "idempotency_key_reused");
    webinarId = first.body.id;
    assert.equal(first.body.type, "standard", "no type means the default type");
  });

  test("invalid webinar bodies: 422 naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...webinarInput(), endsAt: "2030-05-01T09:00:00Z" }, "endsAt"],
      [{ ...webinarInput(), type: "no-such-type" }, "type"],
      [{ ...webinarInput(), title: "" }, "title"],
      [{ ...webinarInput(), startsAt: "tomorrow" }, "startsAt"],
      [{ ...webinarInput(), color: "red" }, "color"],
    ];
    for (const [body, field] of cases) {
      const res = await call("POST", "/webinars", { token: tok, json: body });
      assert.equal(res.status, 422, field);
      assert.equal(res.body.error.field, field);
    }
  });

  test("find webinars by externalRef: the live ones with that reference, for this client only", async () => {
    const ref = "0195d1c2-7b1e-7c3a-9a55-3f1d2b8e4a10";
    const made = await call("POST", "/webinars", {
      token: tok,
      json: { ...webinarInput(), externalRef: ref },
    });
    assert.equal(made.status, 201);
    const found = await call("GET", "/webinars", { token: tok, query: { externalRef: ref } });
    assert.equal(found.status, 200);
    assert.deepEqual(
      found.body.data.map((w: { id: string }) => w.id),
      [made.body.id],
    );
    const other = await call("GET", "/webinars", {
      token: await token("client-b", "secret-b"),
      query: { externalRef: ref },
    });
    assert.deepEqual(other.body.data, []);
    const missing = await call("GET", "/webinars", { token: tok });
    assert.equal(missing.status, 400);
    await call("DELETE", "/webinars/{webinarId}", { token: tok, params: { webinarId: made.body.id } });
    const gone = await call("GET", "/webinars", { token: tok, query: { externalRef: ref } });
    assert.deepEqual(gone.body.data, [], "a deleted webinar is not listed");
  });

  test("read and replace a webinar; another client cannot see it", async () => {
    const got = await call("GET", "/webinars/{webinarId}", { token: tok, params: { webinarId } });
    assert.equal(got.status, 200);
    const put = await call("PUT", "/webinars/{webinarId}", {
      token: tok,
      params: { webinarId },
      json: { ...webinarInput("Renamed"), type: "town-hall" },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.title, "Renamed");
    assert.equal(put.body.type, "town-hall");
    const other = await call("GET", "/webinars/{webinarId}", {
      token: await token("client-b", "secret-b"),
      params: { webinarId },
    });
    assert.equal(other.status, 404);
  });

  test("registrations: idempotent by e-mail (200, same id), cancel twice, register again after a cancel", async () => {
    const person = { email: "Grace@Example.com", firstName: "Grace", lastName: "Hopper", company: "Navy" };
    const path = "/webinars/{webinarId}/registrations";
    const first = await call("POST", path, { token: tok, params: { webinarId }, json: person });
    assert.equal(first.status, 201);
    const again = await call("POST", path, {
      token: tok,
      params: { webinarId },
      json: { ...person, email: "grace@example.COM" },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const found = await call("GET", path, {
      token: tok,
      params: { webinarId },
      query: { email: "GRACE@example.com", status: "registered" },
    });
    assert.deepEqual(
      found.body.data.map((r: { id: string }) => r.id),
      [first.body.id],
    );
    const one = { webinarId, registrationId: first.body.id };
    const del = "/webinars/{webinarId}/registrations/{registrationId}";
    assert.equal((await call("DELETE", del, { token: tok, params: one })).status, 204);
    assert.equal((await call("DELETE", del, { token: tok, params: one })).status, 204);
    const cancelled = await call("GET", path, {
      token: tok,
      params: { webinarId },
      query: { email: person.email, status: "registered" },
    });
    assert.equal(cancelled.body.data.length, 0);
    const back = await call("POST", path, { token: tok, params: { webinarId }, json: person });
    assert.equal(back.status, 201);
    assert.equal(back.body.status, "registered");
    const unknown = await call("DELETE", del, {
      token: tok,
      params: { webinarId, registrationId: "reg_none" },
    });
    assert.equal(unknown.status, 404);
    const bad = await call("POST", path, {
      token: tok,
      params: { webinarId },
      json: { ...person, email: "nope" },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.field, "email");
  });

  test("registration paging: every registration exactly once; bad cursor or limit is a 400 naming it", async () => {
    const path = "/webinars/{webinarId}/registrations";
    for (let i = 0; i < 7; i++)
      await call("POST", path, {
        token: tok,
        params: { webinarId },
        json: { email: `page${i}@example.com`, firstName: "P", lastName: String(i) },
      });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: "3", ...(cursor ? { cursor } : {}) };
      const res = await call("GET", path, { token: tok, params: { webinarId }, query });
      seen.push(...res.body.data.map((r: { id: string }) => r.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    assert.equal(seen.length, 8);
    assert.equal(new Set(seen).size, 8);
    assert.equal(pages, 3);
    for (const [query, field] of [
      [{ cursor: "garbage" }, "cursor"],
      [{ limit: "0" }, "limit"],
      [{ limit: "201" }, "limit"],
      [{ status: "maybe" }, "status"],
    ] as const) {
      const res = await call("GET", path, { token: tok, params: { webinarId }, query });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.field, field);
    }
  });

  test("attendance: per-person seconds, intervals and engagement, walk-ins without a registration, paged", async () => {
    const run = await fetch(`${h.sim.url}/_sim/webinars/${webinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        attendees: [
          { email: "page0@example.com", minutes: 42 },
          { email: "page1@example.com", minutes: 10, onDemandMinutes: 5 },
          { email: "page2@example.com", minutes: 0, onDemandMinutes: 30 },
          { email: "walkin@example.com", minutes: 17 },
          { email: "page3@example.com", minutes: 60 },
        ],
      }),
    });
    assert.equal(run.status, 200);
    const records: any[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: "2", ...(cursor ? { cursor } : {}) };
      const res = await call("GET", "/webinars/{webinarId}/attendance", {
        token: tok,
        params: { webinarId },
        query,
      });
      records.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.equal(records.length, 5);
    const byEmail = new Map(records.map((r) => [r.email, r]));
    assert.equal(byEmail.get("page0@example.com").liveSeconds, 42 * 60);
    assert.equal(byEmail.get("page1@example.com").onDemandSeconds, 5 * 60);
    assert.equal(byEmail.get("walkin@example.com").registrationId, null);
    assert.ok(byEmail.get("page0@example.com").registrationId);
    assert.deepEqual(
      byEmail.get("page1@example.com").intervals.map((i: { mode: string }) => i.mode),
      ["live", "on_demand"],
    );
  });

  test("erasure removes the person from every webinar of the account", async () => {
    const res = await call("POST", "/erasures", { token: tok, json: { email: "PAGE0@example.com" } });
    assert.equal(res.status, 200);
    assert.equal(res.body.registrationsErased, 1);
    assert.ok(!h.sim.state.attendeesOf(webinarId).some((a) => a.email === "page0@example.com"));
    const none = await call("POST", "/erasures", { token: tok, json: { email: "nobody@example.com" } });
    assert.equal(none.body.registrationsErased, 0);
  });

  test("delete: then 404 for the webinar and everything under it, and on a second delete", async () => {
    const params = { webinarId };
    assert.equal((await call("DELETE", "/webinars/{webinarId}", { token: tok, params })).status, 204);
    assert.equal((await call("GET", "/webinars/{webinarId}", { token: tok, params })).status, 404);
    assert.equal((await call("GET", "/webinars/{webinarId}/attendance", { token: tok, params })).status, 404);
    assert.equal((await call("DELETE", "/webinars/{webinarId}", { token: tok, params })).status, 404);
  });

  test("every operation of the document was exercised successfully", () => {
    assert.deepEqual(
      contractOperations().filter((op) => !h.covered.has(op)),
      [],
    );
  });
});
