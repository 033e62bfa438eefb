// The reference implementation (simulators/http-contract) against the published contract: every
// answer is validated with the schema docs/provider-contract.openapi.json declares for that
// operation and status, and the contract's promises (idempotency, paging, 429, signed webhooks)
// are exercised over real HTTP.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import { verifyContractSignature } from "../../src/providers/http-contract/webhook.ts";
import { waitUntil } from "../webinars/fixtures.ts";
import { conformanceIssues, contractOperations, schemaOf } from "./http-contract-spec.ts";

const WEBHOOK_SECRET = "whsec-conformance";
const covered = new Set<string>();
const received: { headers: Record<string, string | string[] | undefined>; raw: Buffer; at: Date }[] = [];
let failNextDeliveries = 0;
let receiver: Server;
let sim: ContractSimulator;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** One call to the contract, validated against the document. `path` is the document's template. */
async function call(
  method: string,
  path: string,
  options: {
    params?: Record<string, string>;
    token?: string;
    json?: unknown;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    form?: string;
  } = {},
): Promise<Answer> {
  let url = sim.baseUrl + path.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(options.params?.[k] ?? ""));
  if (options.query) url += `?${new URLSearchParams(options.query)}`;
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = options.form;
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  const parsed = text === "" ? undefined : JSON.parse(text);
  const issues = conformanceIssues(method, path, res.status, parsed);
  assert.deepEqual(issues, [], `${method} ${path} → ${res.status} does not conform: ${text.slice(0, 300)}`);
  if (res.status < 300) covered.add(`${method} ${path}`);
  return { status: res.status, body: parsed, headers: res.headers };
}

async function token(clientId = "client-a", secret = "secret-a"): Promise<string> {
  const res = await call("POST", "/oauth/token", {
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` },
    form: "grant_type=client_credentials",
  });
  assert.equal(res.status, 200);
  return res.body.access_token;
}

const knobs = (k: Record<string, unknown>) =>
  fetch(`${sim.url}/_sim/knobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(k),
  });

const webinarInput = (title = "Conformance webinar") => ({
  title,
  description: "Checked against the document",
  startsAt: "2030-05-01T10:00:00Z",
  endsAt: "2030-05-01T11:00:00Z",
  timeZone: "Europe/Oslo",
  language: "en",
});

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks), at: new Date() });
      if (failNextDeliveries > 0) {
        failNextDeliveries -= 1;
        res.writeHead(500).end();
      } else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const addr = receiver.address();
  if (!addr || typeof addr === "string") throw new Error("receiver address");
  sim = await startContractSimulator({
    clients: [
      { clientId: "client-a", clientSecret: "secret-a" },
      { clientId: "client-b", clientSecret: "secret-b" },
    ],
    webhook: { url: `http://127.0.0.1:${addr.port}/hook`, secret: WEBHOOK_SECRET },
  });
});
after(async () => {
  await sim.close();
  await new Promise((r) => receiver.close(r));
});

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
    const before = sim.state.webinars.size;
    const key = { "idempotency-key": "webinar:conf-1" };
    const first = await call("POST", "/webinars", { token: tok, json: webinarInput(), headers: key });
    assert.equal(first.status, 201);
    const again = await call("POST", "/webinars", { token: tok, json: webinarInput(), headers: key });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(sim.state.webinars.size, before + 1, "a repeated key created a second webinar");
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
    const run = await fetch(`${sim.url}/_sim/webinars/${webinarId}/run`, {
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

  test("429 with Retry-After when over the limit; quota_exceeded variant", async () => {
    for (const code of ["rate_limited", "quota_exceeded"]) {
      await knobs({ rateLimit: { limit: 2, windowMs: 5000 }, rateLimitCode: code });
      sim.state.windows.clear();
      try {
        const answers = [];
        for (let i = 0; i < 3; i++) answers.push(await call("GET", "/webinar-types", { token: tok }));
        assert.deepEqual(
          answers.map((a) => a.status),
          [200, 200, 429],
        );
        const limited = answers[2] as Answer;
        assert.equal(limited.body.error.code, code);
        const retryAfter = Number(limited.headers.get("retry-after"));
        assert.ok(
          Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 5,
          `Retry-After ${retryAfter}`,
        );
      } finally {
        await knobs({ rateLimit: null, rateLimitCode: "rate_limited" });
      }
    }
  });

  test("faults: before commit nothing is stored; after commit it is, and the repeat returns it (no duplicate)", async () => {
    const path = "/webinars/{webinarId}/registrations";
    const count = () => sim.state.registrationsOf(webinarId).length;
    const attempt = async (email: string) => {
      try {
        return (
          await call("POST", path, {
            token: tok,
            params: { webinarId },
            json: { email, firstName: "F", lastName: "L" },
          })
        ).status;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        return 0; // connection reset: no answer at all
      }
    };
    await knobs({ faultBeforeCommitRate: 1 });
    const n0 = count();
    const failed = await attempt("fault-before@example.com");
    await knobs({ faultBeforeCommitRate: 0 });
    assert.ok(failed === 0 || failed === 503, `status ${failed}`);
    assert.equal(count(), n0);
    await knobs({ faultAfterCommitRate: 1 });
    const lost = await attempt("fault-after@example.com");
    await knobs({ faultAfterCommitRate: 0 });
    assert.ok(lost === 0 || lost === 500, `status ${lost}`);
    assert.equal(count(), n0 + 1, "an after-commit fault stores the registration");
    assert.equal(await attempt("fault-after@example.com"), 200);
    assert.equal(count(), n0 + 1);
  });

  test("signed webhooks: every delivery conforms and verifies; a failed delivery is retried with the same id", async () => {
    await waitUntil("attendance.updated delivered", async () =>
      received.some((d) => JSON.parse(d.raw.toString()).type === "attendance.updated"),
    );
    const types = new Set<string>();
    for (const d of received) {
      const body = JSON.parse(d.raw.toString());
      types.add(body.type);
      const r = schemaOf("WebhookEvent").safeParse(body);
      assert.ok(r.success, JSON.stringify(r.error?.issues));
      const header = String(d.headers["auditorium-signature"]);
      assert.match(header, /^t=\d+(,v1=[0-9a-f]{64})+$/);
      assert.deepEqual(verifyContractSignature(Buffer.from(WEBHOOK_SECRET), header, d.raw, d.at), {
        ok: true,
      });
      assert.equal(verifyContractSignature(Buffer.from("other"), header, d.raw, d.at).ok, false);
    }
    assert.deepEqual([...types].sort(), [
      "attendance.updated",
      "registration.cancelled",
      "registration.created",
    ]);
    failNextDeliveries = 1;
    const mark = received.length;
    await call("POST", "/webinars/{webinarId}/registrations", {
      token: tok,
      params: { webinarId },
      json: { email: "retried@example.com", firstName: "R", lastName: "T" },
    });
    await waitUntil("delivery retried", async () => received.length >= mark + 2);
    const [a, b] = received.slice(mark).map((d) => JSON.parse(d.raw.toString()).id);
    assert.equal(a, b);
  });

  test("erasure removes the person from every webinar of the account", async () => {
    const res = await call("POST", "/erasures", { token: tok, json: { email: "PAGE0@example.com" } });
    assert.equal(res.status, 200);
    assert.equal(res.body.registrationsErased, 1);
    assert.ok(!sim.state.attendeesOf(webinarId).some((a) => a.email === "page0@example.com"));
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
      contractOperations().filter((op) => !covered.has(op)),
      [],
    );
  });
});
