import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type Response, type TestContext, type TestOrg } from "../helpers/harness.ts";

const event = {
  title: "Hostile",
  startsAt: "2030-04-01T09:00",
  endsAt: "2030-04-01T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
};
const person = { firstName: "Safe", lastName: "Person", email: "safe@example.com" };
const JSON_TYPE = { "content-type": "application/json" };

async function counts(ctx: TestContext) {
  const { db } = ctx.database;
  const n = async (table: "events" | "contacts" | "registrations" | "event_sessions") =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    events: await n("events"),
    contacts: await n("contacts"),
    registrations: await n("registrations"),
    sessions: await n("event_sessions"),
  };
}

/** A refusal in the standard shape: 4xx, `{ error: { code, message, field? } }`, the expected field. */
function assertRefused(res: Response, label: string, expected: { status?: number; field?: string } = {}) {
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${label}: status ${res.status} ${res.text.slice(0, 300)}`,
  );
  if (expected.status !== undefined)
    assert.equal(res.status, expected.status, `${label}: ${res.text.slice(0, 300)}`);
  assert.equal(typeof res.body, "object", `${label}: JSON body`);
  const keys = Object.keys(res.body ?? {});
  assert.deepEqual(keys, ["error"], `${label}: only "error" at the top`);
  assert.equal(typeof res.body.error.code, "string", label);
  assert.equal(typeof res.body.error.message, "string", label);
  for (const k of Object.keys(res.body.error))
    assert.ok(["code", "message", "field"].includes(k), `${label}: unexpected key ${k}`);
  if (expected.field !== undefined) assert.equal(res.body.error.field, expected.field, label);
}

forEachBackend("hostile input", (ctx) => {
  let org: TestOrg;
  let eventId: string;
  let token: string;

  before(async () => {
    org = await ctx.createOrg();
    token = org.tokens.marketer;
    const res = await ctx.request("POST", "/api/v1/events", { token, body: { ...event, capacity: 10 } });
    eventId = res.body.id;
  });

  const post = (url: string, body: unknown) => ctx.request("POST", url, { token, body });
  const raw = (url: string, payload: string | Buffer, headers: Record<string, string> = JSON_TYPE) =>
    ctx.request("POST", url, { token, raw: payload, headers });
  const get = (url: string) => ctx.request("GET", url, { token });

  test("every hostile body, type and query is a 4xx in the standard shape and writes nothing", async () => {
    const before = await counts(ctx);
    const regUrl = `/api/v1/events/${eventId}/registrations`;
    const cases: [string, () => Promise<Response>, { status?: number; field?: string }][] = [
      [
        "oversized body",
        () => post("/api/v1/events", { ...event, description: "x".repeat(300 * 1024) }),
        { status: 413 },
      ],
      [
        "oversized non-JSON body",
        () => raw("/api/v1/contacts", "x".repeat(300 * 1024), { "content-type": "text/plain" }),
        { status: 413 },
      ],
      [
        "number for title",
        () => post("/api/v1/events", { ...event, title: 42 }),
        { status: 400, field: "title" },
      ],
      ["array for contact", () => post(regUrl, { contact: [person] }), { status: 400, field: "contact" }],
      [
        "string for capacity",
        () => post("/api/v1/events", { ...event, capacity: "5" }),
        { status: 400, field: "capacity" },
      ],
      [
        "object for email",
        () => post("/api/v1/contacts", { ...person, email: { $ne: null } }),
        { status: 400, field: "email" },
      ],
      [
        "NUL in a name",
        () => post("/api/v1/contacts", { ...person, firstName: "Ro\u0000bert" }),
        { status: 400, field: "firstName" },
      ],
      [
        "BEL in a name",
        () => post("/api/v1/contacts", { ...person, lastName: "Ding\u0007" }),
        { status: 400, field: "lastName" },
      ],
      [
        "ESC in a title",
        () => post("/api/v1/events", { ...event, title: "\u001b[31mred" }),
        { status: 400, field: "title" },
      ],
      [
        "NUL in a description",
        () => post("/api/v1/events", { ...event, description: "a\u0000b" }),
        { status: 400, field: "description" },
      ],
      [
        "NUL in a nested contact",
        () => post(regUrl, { contact: { ...person, company: "A\u0000" } }),
        { status: 400, field: "contact.company" },
      ],
      [
        "10 kB first name",
        () => post("/api/v1/contacts", { ...person, firstName: "A".repeat(10_000) }),
        { status: 400, field: "firstName" },
      ],
      [
        "10 kB email",
        () => post("/api/v1/contacts", { ...person, email: `${"a".repeat(10_000)}@example.com` }),
        { status: 400, field: "email" },
      ],
      [
        "invalid UTF-8 bytes",
        () =>
          raw(
            "/api/v1/contacts",
            Buffer.concat([
              Buffer.from('{"firstName":"Bad'),
              Buffer.from([0xff, 0xfe, 0xc3]),
              Buffer.from('","lastName":"Bytes","email":"bytes@example.com"}'),
            ]),
          ),
        { status: 400, field: "firstName" },
      ],
      [
        "lone surrogate escape",
        () => raw("/api/v1/contacts", '{"firstName":"A\\ud800","lastName":"B","email":"sur@example.com"}'),
        { status: 400, field: "firstName" },
      ],
      [
        "__proto__ key",
        () =>
          raw(
            "/api/v1/contacts",
            '{"__proto__":{"role":"owner"},"firstName":"P","lastName":"P","email":"p@example.com"}',
          ),
        { status: 400 },
      ],
      [
        "constructor.prototype key",
        () =>
          raw(
            "/api/v1/contacts",
            '{"constructor":{"prototype":{"x":1}},"firstName":"C","lastName":"C","email":"c@example.com"}',
          ),
        { status: 400 },
      ],
      [
        "plain constructor key",
        () =>
          raw(
            "/api/v1/contacts",
            '{"constructor":"x","firstName":"C","lastName":"C","email":"c@example.com"}',
          ),
        { status: 400, field: "constructor" },
      ],
      [
        "nested __proto__",
        () =>
          raw(
            regUrl,
            '{"contact":{"__proto__":{"x":1},"firstName":"N","lastName":"N","email":"n@example.com"}}',
          ),
        { status: 400 },
      ],
      [
        "text/plain",
        () => raw("/api/v1/contacts", JSON.stringify(person), { "content-type": "text/plain" }),
        { status: 400 },
      ],
      [
        "form encoded",
        () =>
          raw("/api/v1/contacts", "firstName=a&lastName=b", {
            "content-type": "application/x-www-form-urlencoded",
          }),
        { status: 415 },
      ],
      [
        "XML",
        () => raw("/api/v1/contacts", "<contact/>", { "content-type": "application/xml" }),
        { status: 415 },
      ],
      ["no content type", () => raw("/api/v1/contacts", JSON.stringify(person), {}), { status: 415 }],
      ["malformed JSON", () => raw("/api/v1/contacts", '{"firstName": "Unclosed'), { status: 400 }],
      ["trailing garbage", () => raw("/api/v1/contacts", `${JSON.stringify(person)}}`), { status: 400 }],
      ["empty JSON body", () => raw("/api/v1/contacts", ""), { status: 400 }],
      ["JSON null", () => raw("/api/v1/contacts", "null"), { status: 400 }],
      ["JSON array", () => raw("/api/v1/contacts", `[${JSON.stringify(person)}]`), { status: 400 }],
      ["JSON string", () => raw("/api/v1/contacts", '"contact"'), { status: 400 }],
      [
        "deep nesting",
        () => raw("/api/v1/contacts", `{"firstName":${"[".repeat(5000)}${"]".repeat(5000)}}`),
        { status: 400, field: "firstName" },
      ],
      [
        "negative capacity",
        () => post("/api/v1/events", { ...event, capacity: -1 }),
        { status: 400, field: "capacity" },
      ],
      [
        "huge capacity",
        () => post("/api/v1/events", { ...event, capacity: 1e12 }),
        { status: 400, field: "capacity" },
      ],
      [
        "int4 overflow capacity",
        () => post("/api/v1/events", { ...event, capacity: 2 ** 31 }),
        { status: 400, field: "capacity" },
      ],
      [
        "fractional capacity",
        () => post("/api/v1/events", { ...event, capacity: 1.5 }),
        { status: 400, field: "capacity" },
      ],
      [
        "infinite capacity",
        () => raw("/api/v1/events", JSON.stringify(event).replace("}", ',"capacity":1e400}')),
        { status: 400, field: "capacity" },
      ],
      [
        "negative capacity on PATCH",
        () => ctx.request("PATCH", `/api/v1/events/${eventId}`, { token, body: { capacity: -5 } }),
        { status: 400, field: "capacity" },
      ],
      [
        "30 February",
        () => post("/api/v1/events", { ...event, startsAt: "2030-02-30T10:00" }),
        { status: 400, field: "startsAt" },
      ],
      [
        "hour 25",
        () => post("/api/v1/events", { ...event, endsAt: "2030-04-01T25:00" }),
        { status: 400, field: "endsAt" },
      ],
      [
        "year 50",
        () => post("/api/v1/events", { ...event, startsAt: "0050-04-01T09:00", endsAt: "0050-04-01T10:00" }),
        { status: 400, field: "startsAt" },
      ],
      [
        "offset +99:00",
        () => post("/api/v1/events", { ...event, startsAt: "2030-04-01T09:00+99:00" }),
        { status: 400, field: "startsAt" },
      ],
      [
        "zone with SQL",
        () => post("/api/v1/events", { ...event, timeZone: "UTC'; DROP TABLE events;--" }),
        { status: 400, field: "timeZone" },
      ],
      [
        "slug with SQL",
        () => post("/api/v1/events", { ...event, slug: "x' OR '1'='1" }),
        { status: 400, field: "slug" },
      ],
      [
        "1 000 session ids",
        () =>
          post(regUrl, {
            contact: person,
            sessionIds: Array(1_000).fill("0190a000-0000-7000-8000-000000000000"),
          }),
        { status: 400, field: "sessionIds" },
      ],
      [
        "huge Idempotency-Key",
        () =>
          ctx.request("POST", regUrl, {
            token,
            body: { contact: person },
            headers: { "idempotency-key": "k".repeat(300) },
          }),
        { status: 400, field: "idempotency-key" },
      ],
      ["limit=100000", () => get("/api/v1/events?limit=100000"), { status: 400, field: "limit" }],
      ["limit=-1", () => get("/api/v1/contacts?limit=-1"), { status: 400, field: "limit" }],
      [
        "limit=abc",
        () => get(`/api/v1/events/${eventId}/registrations?limit=abc`),
        { status: 400, field: "limit" },
      ],
      ["limit twice", () => get("/api/v1/contacts?limit=1&limit=2"), { status: 400, field: "limit" }],
      [
        "cursor garbage",
        () => get("/api/v1/events?cursor=%27%3B--garbage"),
        { status: 400, field: "cursor" },
      ],
      [
        "cursor of a non-id",
        () => get(`/api/v1/contacts?cursor=${Buffer.from("1 OR 1=1").toString("base64url")}`),
        { status: 400, field: "cursor" },
      ],
      [
        "cursor 1 kB",
        () => get(`/api/v1/events/${eventId}/registrations?cursor=${"A".repeat(1000)}`),
        { status: 400, field: "cursor" },
      ],
      ["NUL in q", () => get("/api/v1/contacts?q=a%00b"), { status: 400, field: "q" }],
      ["unknown query parameter", () => get("/api/v1/events?sort=title"), { status: 400, field: "sort" }],
      ["non-UUID id", () => get("/api/v1/events/1%20OR%201=1"), { status: 400, field: "id" }],
      [
        "bearer too long",
        () => ctx.request("GET", "/api/v1/events", { token: "x".repeat(5000) }),
        { status: 401 },
      ],
      [
        "public slug with SQL",
        () => ctx.request("GET", "/api/v1/public/events/x'--"),
        { status: 400, field: "slug" },
      ],
      [
        "public body array",
        () => ctx.request("POST", "/api/v1/public/registrations/cancel", { body: [] }),
        { status: 400 },
      ],
    ];
    for (const [label, run, expected] of cases) assertRefused(await run(), label, expected);
    assert.deepEqual(await counts(ctx), before);
  });

  test("URLs Fastify refuses before routing answer in the standard shape", async () => {
    assertRefused(await get("/api/v1/events/%ZZ"), "bad percent-escape", { status: 400 });
    assertRefused(await get(`/api/v1/events/${"a".repeat(500)}`), "over-long path parameter");
  });

  test("SQL and HTML in values are data: stored and returned unchanged, nothing breaks", async () => {
    const nasty = {
      firstName: "Robert'); DROP TABLE contacts;--",
      lastName: '<script>alert("x")</script>',
      email: "o'reilly+test@example.com",
      company: "1' OR '1'='1",
      jobTitle: "<img src=x onerror=alert(1)> & \\ \" ' `",
    };
    const created = await post(`/api/v1/events/${eventId}/registrations`, { contact: nasty });
    assert.equal(created.status, 201, created.text);
    const back = await get(`/api/v1/contacts/${created.body.contact.id}`);
    for (const [k, v] of Object.entries(nasty)) assert.equal(back.body[k], v, k);
    const title = "Q&A <b>night</b> '; DELETE FROM events; -- 😀 ﷽";
    const ev = await post("/api/v1/events", { ...event, title, description: "Line 1\nLine 2\ttabbed" });
    assert.equal(ev.status, 201, ev.text);
    assert.equal((await get(`/api/v1/events/${ev.body.id}`)).body.title, title);
    assert.equal((await get(`/api/v1/events/${ev.body.id}`)).body.description, "Line 1\nLine 2\ttabbed");

    // Search takes the text literally.
    const search = await get(`/api/v1/contacts?q=${encodeURIComponent("' OR '1'='1")}`);
    assert.equal(search.status, 200);
    assert.deepEqual(
      search.body.data.map((c: { id: string }) => c.id),
      [],
    );
    const byName = await get(`/api/v1/contacts?q=${encodeURIComponent("DROP TABLE")}`);
    assert.deepEqual(
      byName.body.data.map((c: { id: string }) => c.id),
      [created.body.contact.id],
    );
    const regs = await get(`/api/v1/events/${eventId}/registrations?q=${encodeURIComponent("<script>")}`);
    assert.equal(regs.body.data.length, 1);
    // The tables are all still there.
    const after = await counts(ctx);
    assert.ok(after.contacts >= 1 && after.events >= 2 && after.registrations >= 1);
  });

  test("hostile input to the public endpoint is refused the same way", async () => {
    const published = await post("/api/v1/events", { ...event, slug: "hostile-public" });
    await ctx.request("POST", `/api/v1/events/${published.body.id}/publish`, { token });
    const before = await counts(ctx);
    const url = "/api/v1/public/events/hostile-public/registrations";
    const pub = (body: unknown) => ctx.request("POST", url, { body });
    assertRefused(await pub({ ...person, firstName: "\u0000" }), "NUL", { status: 400, field: "firstName" });
    assertRefused(await pub({ ...person, email: "x".repeat(300) }), "long email", {
      status: 400,
      field: "email",
    });
    assertRefused(await pub({ ...person, consent: "yes" }), "string consent", {
      status: 400,
      field: "consent",
    });
    assertRefused(await pub({ ...person, sessionIds: "all" }), "string sessionIds", {
      status: 400,
      field: "sessionIds",
    });
    assertRefused(
      await ctx.request("POST", url, { raw: '{"__proto__":{"admin":true}}', headers: JSON_TYPE }),
      "proto",
      { status: 400 },
    );
    assertRefused(
      await ctx.request("POST", "/api/v1/public/registrations/cancel", { body: { token: "x".repeat(201) } }),
      "long token",
      { status: 400, field: "token" },
    );
    assert.deepEqual(await counts(ctx), before);
  });
});
