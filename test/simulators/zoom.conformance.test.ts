import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { startZoomSim, ZOOM_TEST_ACCOUNT } from "./zoom-harness.ts";

/**
 * The simulator speaks Zoom's wire format: raw HTTP against it, no adapter in between, so an
 * adapter bug cannot hide a simulator bug (and the reverse).
 */
const sim = await startZoomSim();
after(() => sim.close());
beforeEach(() => sim.state.reset());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function token(
  options: { accountId?: string; clientSecret?: string; grant?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`${sim.oauthUrl}/oauth/token`);
  url.searchParams.set("grant_type", options.grant ?? "account_credentials");
  url.searchParams.set("account_id", options.accountId ?? ZOOM_TEST_ACCOUNT.accountId);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      authorization: basic(
        ZOOM_TEST_ACCOUNT.clientId,
        options.clientSecret ?? ZOOM_TEST_ACCOUNT.clientSecret,
      ),
    },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function api(
  bearer: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${sim.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

async function bearer(): Promise<string> {
  return (await token()).body.access_token as string;
}

async function webinar(t: string, body: Record<string, unknown> = {}): Promise<number> {
  const res = await api(t, "POST", "/users/me/webinars", {
    topic: "T",
    type: 5,
    start_time: "2026-12-01T10:00:00Z",
    duration: 60,
    timezone: "UTC",
    ...body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

describe("Zoom simulator: OAuth and bearer tokens", () => {
  test("tokens as Zoom issues them; wrong secret, wrong account and wrong grant refused as Zoom does", async () => {
    const ok = await token();
    assert.equal(ok.status, 200);
    assert.equal(ok.body.token_type, "bearer");
    assert.equal(ok.body.expires_in, 3599);
    assert.deepEqual(await token({ clientSecret: "nope" }), {
      status: 400,
      body: { reason: "Invalid client_id or client_secret", error: "invalid_client" },
    });
    assert.equal((await token({ accountId: "other" })).body.error, "invalid_request");
    assert.equal((await token({ grant: "client_credentials" })).body.error, "unsupported_grant_type");
  });

  test("expired and unknown tokens get 401 code 124", async () => {
    sim.state.setKnobs({ tokenLifetimeSeconds: 30 });
    const t = await bearer();
    assert.equal((await api(t, "GET", "/users/me/webinars")).status, 200);
    sim.state.advanceClock(31_000);
    assert.deepEqual((await api(t, "GET", "/users/me/webinars")).body, {
      code: 124,
      message: "Access token is expired.",
    });
    assert.deepEqual((await api("made-up", "GET", "/users/me/webinars")).body, {
      code: 124,
      message: "Invalid access token.",
    });
  });

  test("with invalidatePreviousTokens a new token revokes the older one", async () => {
    sim.state.setKnobs({ invalidatePreviousTokens: true });
    const first = await bearer();
    await bearer();
    assert.equal((await api(first, "GET", "/users/me/webinars")).status, 401);
  });
});

describe("Zoom simulator: webinars, registrants, pages, limits", () => {
  test("webinar validation: type, recurrence for 9, unknown webinar 3001", async () => {
    const t = await bearer();
    assert.equal((await api(t, "POST", "/users/me/webinars", { type: 7 })).body.code, 300);
    assert.equal((await api(t, "POST", "/users/me/webinars", { type: 9 })).status, 400);
    const id = await webinar(t, { type: 9, recurrence: { type: 1, repeat_interval: 1, end_times: 1 } });
    assert.equal((await api(t, "DELETE", `/webinars/${id}`)).status, 204);
    assert.deepEqual((await api(t, "DELETE", `/webinars/${id}`)).body, {
      code: 3001,
      message: `Webinar does not exist: ${id}.`,
    });
  });

  test("batch registration: at most 30, type 5 only, each with its own join link", async () => {
    const t = await bearer();
    const id = await webinar(t);
    const people = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ email: `b${i}@example.com`, first_name: "B" }));
    assert.equal(
      (await api(t, "POST", `/webinars/${id}/batch_registrants`, { registrants: people(31) })).status,
      400,
    );
    const ok = await api(t, "POST", `/webinars/${id}/batch_registrants`, {
      auto_approve: true,
      registrants: people(30),
    });
    assert.equal(ok.status, 201);
    assert.equal(new Set(ok.body.registrants.map((r: { join_url: string }) => r.join_url)).size, 30);
    const recurring = await webinar(t, { type: 6 });
    assert.equal(
      (await api(t, "POST", `/webinars/${recurring}/batch_registrants`, { registrants: people(1) })).status,
      400,
    );
  });

  test("registrant lists page with next_page_token, which expires after 15 minutes", async () => {
    const t = await bearer();
    const id = await webinar(t);
    for (let i = 0; i < 5; i++) {
      await api(t, "POST", `/webinars/${id}/registrants`, { email: `l${i}@example.com`, first_name: "L" });
    }
    const first = await api(t, "GET", `/webinars/${id}/registrants?page_size=2`);
    assert.equal(first.body.total_records, 5);
    assert.equal(first.body.page_count, 3);
    assert.equal(first.body.registrants.length, 2);
    const second = await api(
      t,
      "GET",
      `/webinars/${id}/registrants?page_size=2&next_page_token=${first.body.next_page_token}`,
    );
    assert.deepEqual(
      second.body.registrants.map((r: { email: string }) => r.email),
      ["l2@example.com", "l3@example.com"],
    );
    sim.state.advanceClock(15 * 60_000 + 1000);
    const fresh = await bearer();
    const expired = await api(
      fresh,
      "GET",
      `/webinars/${id}/registrants?page_size=2&next_page_token=${second.body.next_page_token}`,
    );
    assert.equal(expired.status, 400);
  });

  test("per-second limits answer 429 with Retry-After and the label", async () => {
    sim.state.setKnobs({ rateLimits: { heavy: 1 } });
    const t = await bearer();
    const id = await webinar(t);
    // Four at once span at most two one-second windows, so at least two are refused.
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => api(t, "GET", `/report/webinars/${id}/participants`)),
    );
    const refused = answers.find((r) => r.status === 429);
    assert.ok(refused, "Heavy calls over 1 per second are refused");
    assert.ok(answers.filter((r) => r.status === 429).length >= 2);
    assert.equal(refused.body.code, 429);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(refused.headers.get("x-ratelimit-category"), "Heavy");
  });

  test("the per-registrant daily cap counts repeats and lifts at 00:00 UTC", async () => {
    const t = await bearer();
    const id = await webinar(t);
    const add = () =>
      api(t, "POST", `/webinars/${id}/registrants`, { email: "cap@example.com", first_name: "C" });
    const first = await add();
    assert.equal((await add()).body.registrant_id, first.body.registrant_id);
    await add();
    const capped = await add();
    assert.equal(capped.status, 429);
    assert.match(capped.body.message, /daily rate limit \(3\).*this particular registrant.*GMT 00:00:00/);
    const retryAfter = Number(capped.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 86_400);
    sim.state.advanceClock(retryAfter * 1000);
    const next = await api(await bearer(), "POST", `/webinars/${id}/registrants`, {
      email: "cap@example.com",
      first_name: "C",
    });
    assert.equal(next.status, 201);
  });

  test("a run publishes one report row per join segment, summing to the recorded minutes", async () => {
    const t = await bearer();
    const id = await webinar(t);
    await api(t, "POST", `/webinars/${id}/registrants`, { email: "seg@example.com", first_name: "S" });
    const run = await fetch(`${sim.url}/_sim/webinars/${id}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendees: [{ email: "seg@example.com", minutes: 31, segments: 3 }] }),
    });
    assert.deepEqual(await run.json(), { minutes: { "seg@example.com": 31 }, segments: 3 });
    const report = await api(t, "GET", `/report/webinars/${id}/participants?include_fields=registrant_id`);
    assert.equal(report.body.participants.length, 3);
    const seconds = report.body.participants.reduce(
      (s: number, p: { duration: number }) => s + p.duration,
      0,
    );
    assert.equal(seconds, 31 * 60);
    assert.ok(report.body.participants.every((p: { registrant_id?: string }) => p.registrant_id));
    const without = await api(t, "GET", `/report/webinars/${id}/participants`);
    assert.ok(
      without.body.participants.every((p: { registrant_id?: string }) => p.registrant_id === undefined),
    );
  });
});
