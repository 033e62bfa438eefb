// Conformance of the GoTo simulator with GoTo's own documents (specs/goto-webinar):
// every answer of the operations the adapter uses against the OpenAPI schemas (closed objects,
// enums, date-times), statuses the document declares, int64 keys as raw JSON numbers, the
// token endpoint, 403 InvalidToken, 429 per rate-limits.yml, faults before/after commit. The
// adapter's request bodies are checked in goto.requests.test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { GotoSimulator } from "../../simulators/goto/server.ts";
import { parseJsonKeepingBigInts } from "../../src/providers/goto/json.ts";
import { GOTO_ACCOUNT, sim, simRegistrants, startGoto } from "./goto-harness.ts";
import { check, declaredStatuses, gotoSpecDir, loadGotoSpec, responseSchema } from "./goto-spec.ts";
import type { Spec } from "./on24-spec.ts";

const W = "/organizers/{organizerKey}/webinars";
const P = {
  webinars: W,
  webinar: `${W}/{webinarKey}`,
  registrants: `${W}/{webinarKey}/registrants`,
  registrant: `${W}/{webinarKey}/registrants/{registrantKey}`,
  sessions: `${W}/{webinarKey}/sessions`,
  attendees: `${W}/{webinarKey}/sessions/{sessionKey}/attendees`,
};

let spec: Spec;
let s: GotoSimulator;
let token: string;
before(async () => {
  spec = loadGotoSpec(); // fails with a clear message when the document is missing
  s = await startGoto();
});
after(() => s?.close());
beforeEach(async () => {
  await sim(s, "POST", "/reset");
  token = (await oauth(GOTO_ACCOUNT.refreshToken)).body.access_token;
});

interface Reply {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body, headers: res.headers };
}

function oauth(refreshToken: string, secret = GOTO_ACCOUNT.clientSecret) {
  return fetch(`${s.authUrl}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${GOTO_ACCOUNT.clientId}:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
  }).then(reply);
}

/** Calls the Webinar API; `{ok}` in the path is the organizer key. */
function api(
  method: string,
  p: string,
  options: { json?: unknown; bearer?: string; headers?: Record<string, string> } = {},
) {
  return fetch(`${s.apiUrl}${p.replace("{ok}", GOTO_ACCOUNT.organizerKey)}`, {
    method,
    headers: {
      authorization: `Bearer ${options.bearer ?? token}`,
      accept: "application/json",
      ...(options.json !== undefined && { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.json !== undefined && { body: JSON.stringify(options.json) }),
  }).then(reply);
}

function conforms(p: string, method: string, r: Reply, status: number, notInDocument: string[] = []) {
  assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
  assert.ok(
    declaredStatuses(spec, p, method).includes(String(status)),
    `${status} is not declared for ${method} ${p}`,
  );
  const errors = check(spec, responseSchema(spec, p, method, status), r.body, notInDocument);
  assert.deepEqual(errors, [], `${method} ${p} differs from GoTo's document:\n${errors.join("\n")}`);
}

function declared(p: string, method: string, r: Reply, status: number) {
  assert.equal(r.status, status, r.text);
  assert.ok(
    declaredStatuses(spec, p, method).includes(String(status)),
    `${status} is not declared for ${method} ${p}`,
  );
}

const future = (days: number, hours = 1) => {
  const start = new Date(Date.now() + days * 86_400_000);
  return {
    startTime: start.toISOString(),
    endTime: new Date(start.getTime() + hours * 3600_000).toISOString(),
  };
};

async function webinar(): Promise<string> {
  const r = await api("POST", "/organizers/{ok}/webinars", {
    json: { subject: "Conformance", times: [future(3)] },
  });
  conforms(P.webinars, "POST", r, 201);
  return r.body.webinarKey;
}

async function registrant(wk: string, email: string): Promise<Reply> {
  return api("POST", `/organizers/{ok}/webinars/${wk}/registrants`, {
    json: { firstName: "Grace", lastName: "Hopper", email, organization: "Navy", jobTitle: "Rear Admiral" },
  });
}

describe("documents", () => {
  test("a missing vendor document fails with a clear message", () => {
    assert.throws(
      () => loadGotoSpec(path.join(gotoSpecDir, "missing.yml")),
      /GoTo OpenAPI document not found .*specs\/goto-webinar/s,
    );
  });
});

describe("token endpoint", () => {
  test("refresh answer as the guide shows; bad client 401 invalid_client; bad refresh token 400 invalid_grant", async () => {
    const ok = await oauth(GOTO_ACCOUNT.refreshToken);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.expires_in, 3600, "access tokens last 60 minutes");
    assert.equal(ok.body.token_type, "Bearer");
    assert.equal(ok.body.refresh_token, undefined, "no new refresh token unless GoTo issued one");
    assert.equal(ok.body.organizer_key, GOTO_ACCOUNT.organizerKey);
    assert.equal((await oauth(GOTO_ACCOUNT.refreshToken, "wrong")).body.error, "invalid_client");
    const grant = await oauth("unknown-refresh-token");
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, "invalid_grant");
  });
});

describe("operations the adapter uses", () => {
  test("webinars: create (string key), list, get (int64 key), update 202, cancel 204, then 404", async () => {
    const wk = await webinar();
    assert.equal(typeof wk, "string", "CreatedWebinar.webinarKey is a string");
    const range = `fromTime=${encodeURIComponent(new Date().toISOString())}&toTime=${encodeURIComponent(future(30).endTime)}`;
    // Webinar requires "webinarId" and "status" but defines neither ("webinarID" is the property):
    // the document contradicts itself, so those two are not demanded.
    conforms(P.webinars, "GET", await api("GET", `/organizers/{ok}/webinars?${range}&page=0&size=5`), 200, [
      "webinarId",
      "status",
    ]);
    const got = await api("GET", `/organizers/{ok}/webinars/${wk}`);
    conforms(P.webinar, "GET", got, 200);
    assert.match(got.text, new RegExp(`"webinarKey":${wk}[,}]`), "WebinarByKey.webinarKey is a raw int64");
    assert.match(got.text, new RegExp(`"organizerKey":${GOTO_ACCOUNT.organizerKey}[,}]`));
    declared(
      P.webinar,
      "PUT",
      await api("PUT", `/organizers/{ok}/webinars/${wk}`, {
        json: { subject: "Renamed", times: [future(4)] },
      }),
      202,
    );
    declared(
      P.webinar,
      "DELETE",
      await api("DELETE", `/organizers/{ok}/webinars/${wk}?sendCancellationEmails=false`),
      204,
    );
    declared(P.webinar, "GET", await api("GET", `/organizers/{ok}/webinars/${wk}`), 404);
    declared(
      P.webinars,
      "POST",
      await api("POST", "/organizers/{ok}/webinars", { json: { subject: "x" } }),
      400,
    );
  });

  test("registrants: 201 with a raw int64 key, 409 duplicate, list (array and paged), detail, delete 204", async () => {
    const wk = await webinar();
    const created = await registrant(wk, "grace@example.com");
    conforms(P.registrants, "POST", created, 201);
    const m = /"registrantKey":(\d+)[,}]/.exec(created.text);
    assert.ok(m, "registrantKey is written as a bare number");
    assert.ok(BigInt(m[1] as string) > 2n ** 53n);
    const exact = parseJsonKeepingBigInts(created.text) as { registrantKey: string };
    assert.equal(exact.registrantKey, (await simRegistrants(s, wk))[0]?.registrantKey);
    declared(P.registrants, "POST", await registrant(wk, "GRACE@example.com"), 409);
    conforms(P.registrants, "GET", await api("GET", `/organizers/{ok}/webinars/${wk}/registrants`), 200);
    const paged = await api("GET", `/organizers/{ok}/webinars/${wk}/registrants?page=0&limit=200`);
    conforms(P.registrants, "GET", paged, 200);
    assert.equal(paged.body.total, 1);
    conforms(
      P.registrant,
      "GET",
      await api("GET", `/organizers/{ok}/webinars/${wk}/registrants/${exact.registrantKey}`),
      200,
    );
    declared(
      P.registrant,
      "DELETE",
      await api("DELETE", `/organizers/{ok}/webinars/${wk}/registrants/${exact.registrantKey}`),
      204,
    );
    declared(
      P.registrant,
      "DELETE",
      await api("DELETE", `/organizers/{ok}/webinars/${wk}/registrants/${exact.registrantKey}`),
      404,
    );
  });

  test("sessions (HAL page) and session attendees with intervals", async () => {
    const wk = await webinar();
    await registrant(wk, "grace@example.com");
    const run = await sim(s, "POST", `/webinars/${wk}/run`, {
      attendees: [
        { email: "grace@example.com", minutes: 30 },
        { email: "walk@example.com", minutes: 1 },
      ],
    });
    const sessions = await api("GET", `/organizers/{ok}/webinars/${wk}/sessions?page=0&size=200`);
    conforms(P.sessions, "GET", sessions, 200);
    assert.equal(sessions.body._embedded.sessionInfoResources[0].sessionKey, run.sessionKey);
    const attendees = await api(
      "GET",
      `/organizers/{ok}/webinars/${wk}/sessions/${run.sessionKey}/attendees`,
    );
    conforms(P.attendees, "GET", attendees, 200);
    const grace = attendees.body.find((a: { email: string }) => a.email === "grace@example.com");
    assert.equal(grace.attendanceTimeInSeconds, 1800);
    assert.equal(grace.attendance.length, 2, "two join/leave intervals");
    const summed = grace.attendance.reduce(
      (n: number, i: { joinTime: string; leaveTime: string }) =>
        n + (Date.parse(i.leaveTime) - Date.parse(i.joinTime)) / 1000,
      0,
    );
    assert.equal(summed, 1800, "the intervals add up to attendanceTimeInSeconds");
  });
});

describe("errors and limits", () => {
  test("a missing, unknown or expired token is 403 with GoTo's InvalidToken body (never 401)", async () => {
    const expected = { int_err_code: "InvalidToken", msg: "Invalid token passed" };
    const unknown = await api("GET", `/organizers/{ok}/webinars/1/registrants`, { bearer: "nope" });
    declared(P.registrants, "GET", unknown, 403);
    assert.deepEqual(unknown.body, expected);
    await sim(s, "POST", "/tokens/expire");
    const expired = await api("POST", "/organizers/{ok}/webinars", {
      json: { subject: "x", times: [future(1)] },
    });
    declared(P.webinars, "POST", expired, 403);
    assert.deepEqual(expired.body, expected);
  });

  test("a permission 403 has a different body than the token 403", async () => {
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/forbid`);
    const r = await api("GET", `/organizers/{ok}/webinars/1`);
    declared(P.webinar, "GET", r, 403);
    assert.equal(r.body.int_err_code, undefined);
    assert.equal(typeof r.body.errorCode, "string");
  });

  test("more than 10 requests in a second → 429 without rate headers (rate-limits.yml)", async () => {
    const limits = readFileSync(path.join(gotoSpecDir, "rate-limits.yml"), "utf8");
    assert.match(limits, /limit: 10\s+unit: requests\s+window: 1s/);
    assert.match(limits, /status: 429/);
    const wk = await webinar();
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => api("GET", `/organizers/{ok}/webinars/${wk}`)),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((x) => x === 200).length, 9, "the create counted too");
    assert.equal(statuses.filter((x) => x === 429).length, 3);
    const limited = replies.find((r) => r.status === 429);
    assert.equal(limited?.headers.get("retry-after"), null);
  });

  test("a fault before commit applies nothing; after commit the write is applied anyway", async () => {
    const wk = await webinar();
    await sim(s, "POST", "/knobs", { faultRateBeforeCommit: 1, faultKinds: ["503"] });
    assert.equal((await registrant(wk, "before@example.com")).status, 503);
    await sim(s, "POST", "/knobs", {
      faultRateBeforeCommit: 0,
      faultRateAfterCommit: 1,
      faultKinds: ["500"],
    });
    assert.equal((await registrant(wk, "after@example.com")).status, 500);
    const rows = await simRegistrants(s, wk);
    assert.deepEqual(
      rows.map((r) => [r.email, r.createdCount]),
      [["after@example.com", 1]],
    );
  });
});
