import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type Response, type TestOrg } from "../helpers/harness.ts";
import { addMember } from "../helpers/invitations.ts";
import { buildCall, type Operation, operations } from "../helpers/openapi-routes.ts";
import { webinarResources } from "../helpers/webinar-resources.ts";

/**
 * Cross-organization access on every tenant-scoped route, derived from the running app's
 * OpenAPI document so routes added later are covered without editing this file. A route
 * whose parameters cannot be filled with a real resource of org A fails the suite by name.
 */

/** Not tenant-scoped: reached by slug or by one-time secrets, not by an organization's ids. */
const NOT_TENANT_SCOPED = [/^\/api\/v1\/public\//, /^\/api\/v1\/auth\//];

const isTenantScoped = (path: string) => !NOT_TENANT_SCOPED.some((re) => re.test(path));

forEachBackend("tenancy", (ctx) => {
  let a: TestOrg;
  let b: TestOrg;
  let bCookie: string;
  /** Org A's resources by resource key (see `resourceKey`). */
  const ids: Record<string, string> = {};
  const marker = `Tenancy-${Date.now().toString(36)}`;
  const secretTitle = `${marker} event of A`;
  const secretEmail = `${marker.toLowerCase()}-contact-of-a@example.com`;
  const memberEmail = `${marker.toLowerCase()}-member-of-a@example.com`;
  let ops: Operation[] = [];

  async function created(res: Response, what: string): Promise<string> {
    assert.ok(res.status === 201 || res.status === 202, `creating ${what}: ${res.status} ${res.text}`);
    return res.body.id ?? res.body.userId;
  }

  before(async () => {
    a = await ctx.createOrg(`${marker} org A`);
    b = await ctx.createOrg("Org B");
    const token = a.tokens.owner;
    const post = (url: string, body: unknown) => ctx.request("POST", url, { token, body });
    ids.organization = a.id;
    // First, so the registration below writes a webhook message for it.
    ids.webhookendpoint = await created(
      await post("/api/v1/webhook-endpoints", {
        url: "http://127.0.0.1:9/hooks",
        eventTypes: ["registration.created"],
      }),
      "webhook endpoint",
    );
    ids.event = await created(
      await post("/api/v1/events", {
        title: secretTitle,
        startsAt: "2026-06-01T09:00",
        endsAt: "2026-06-01T17:00",
        timeZone: "Europe/Oslo",
        format: "hybrid",
      }),
      "event",
    );
    ids.session = await created(
      await post(`/api/v1/events/${ids.event}/sessions`, {
        title: "Session of A",
        startsAt: "2026-06-01T10:00",
        endsAt: "2026-06-01T11:00",
      }),
      "session",
    );
    ids.contact = await created(
      await post("/api/v1/contacts", { firstName: "Ada", lastName: "Alpha", email: secretEmail }),
      "contact",
    );
    ids.registration = await created(
      await post(`/api/v1/events/${ids.event}/registrations`, {
        contactId: ids.contact,
        sessionIds: [ids.session],
      }),
      "registration",
    );
    ids.checkin = await created(
      await post(`/api/v1/events/${ids.event}/check-ins`, { registrationId: ids.registration }),
      "check-in",
    );
    ids.import = await created(
      await ctx.request("POST", `/api/v1/events/${ids.event}/imports`, {
        token,
        raw: `email,first_name,last_name\r\n${marker}-import@example.com,Imp,Ort\r\n`,
        headers: { "content-type": "text/csv" },
      }),
      "import",
    );
    Object.assign(ids, await webinarResources(ctx, token, ids.event));
    ids.apitoken = await created(
      await post("/api/v1/api-tokens", { name: "A's token", role: "viewer" }),
      "token",
    );
    ids.member = (
      await addMember(ctx, token, { email: memberEmail, name: "Member of A", role: "marketer" })
    ).userId;
    ids.invitation = await created(
      await post("/api/v1/members", {
        email: `pending-${memberEmail}`,
        name: "Invited to A",
        role: "viewer",
      }),
      "invitation",
    );
    ids.webhookmessage = (
      await ctx.database.db
        .selectFrom("webhook_messages")
        .select("id")
        .where("registration_id", "=", ids.registration)
        .executeTakeFirstOrThrow()
    ).id;
    ids.message = (
      await ctx.database.db
        .selectFrom("email_messages")
        .select("id")
        .where("organization_id", "=", a.id)
        .executeTakeFirstOrThrow()
    ).id;
    // Session-only routes are exercised with a signed-in owner of B.
    const link = await ctx.services.signIn.issueSignInLink(b.ownerId);
    const signIn = await ctx.request("POST", "/api/v1/auth/link", {
      body: { token: new URL(link).searchParams.get("token") },
    });
    bCookie = String([signIn.headers["set-cookie"]].flat()[0]).split(";")[0] as string;
    ops = await operations(ctx);
  });

  test("every tenant-scoped route's parameters can be filled with org A's resources", () => {
    const uncovered = ops
      .filter((o) => isTenantScoped(o.path))
      .map((o) => ({ o, call: buildCall(o, ids) }))
      .filter(({ call }) => call.unresolved.length > 0)
      .map(({ o, call }) => `${o.method.toUpperCase()} ${o.path} (${call.unresolved.join(", ")})`);
    assert.deepEqual(uncovered, [], "add a fixture for these routes' resources in tenancy.test.ts");
  });

  test("org B gets 404 for org A's ids on every route, and never A's data", async () => {
    const checked: string[] = [];
    for (const o of ops.filter((op) => isTenantScoped(op.path))) {
      const call = buildCall(o, ids);
      if (call.unresolved.length > 0 || !call.scoped) continue;
      // Ids only in the body are references: refused as not found, or as unknown (422, like ids that do not exist).
      const bodyOnly = !Object.values(ids).some((id) => call.url.includes(id));
      const name = `${o.method.toUpperCase()} ${o.path}`;
      for (const credential of [{ token: b.tokens.owner }, { cookie: bCookie }]) {
        const res = await ctx.request(o.method, call.url, {
          ...credential,
          headers: call.headers,
          ...(call.body !== undefined && { body: call.body }),
          ...(call.raw !== undefined && { raw: call.raw }),
        });
        const sessionOnly =
          res.status === 403 && "token" in credential && /signed-in (user|admin)/.test(res.text);
        if (bodyOnly && res.status === 422) assert.match(res.text, /"code":"unknown_/);
        else if (!sessionOnly)
          assert.equal(res.status, 404, `${name} with ${Object.keys(credential)[0]}: ${res.text}`);
        for (const secret of [secretTitle, secretEmail, memberEmail, marker])
          assert.ok(!res.text.includes(secret), `${name} leaked org A's data: ${res.text}`);
      }
      checked.push(name);
    }
    // The derivation really ran over the routes we know of (and more as they are added).
    for (const known of [
      "DELETE /api/v1/events/{id}",
      "PATCH /api/v1/contacts/{id}",
      "POST /api/v1/registrations/{id}/cancel",
      "DELETE /api/v1/events/{id}/sessions/{sessionId}",
      "DELETE /api/v1/members/{id}",
      "DELETE /api/v1/api-tokens/{id}",
      "DELETE /api/v1/check-ins/{id}",
      "GET /api/v1/imports/{id}",
      "PUT /api/v1/me/organization",
    ])
      assert.ok(checked.includes(known), `${known} was not checked`);
  });

  test("org B's foreign-id attempts changed nothing in org A", async () => {
    const token = a.tokens.owner;
    const event = await ctx.request("GET", `/api/v1/events/${ids.event}`, { token });
    assert.equal(event.status, 200);
    assert.equal(event.body.title, secretTitle);
    assert.equal(event.body.status, "draft");
    const registration = await ctx.request("GET", `/api/v1/registrations/${ids.registration}`, { token });
    assert.equal(registration.body.status, "registered");
    assert.deepEqual(registration.body.sessionIds, [ids.session]);
    assert.equal(
      (await ctx.request("GET", `/api/v1/contacts/${ids.contact}`, { token })).body.email,
      secretEmail,
    );
    const session = await ctx.request("GET", `/api/v1/events/${ids.event}/sessions/${ids.session}`, {
      token,
    });
    assert.equal(session.body.title, "Session of A");
    const checkIns = await ctx.request("GET", `/api/v1/events/${ids.event}/check-ins`, { token });
    assert.deepEqual(
      checkIns.body.data.map((c: { id: string }) => c.id),
      [ids.checkin],
    );
    const members = await ctx.request("GET", "/api/v1/members", { token });
    assert.equal(members.body.data.find((m: { id: string }) => m.id === ids.member)?.role, "marketer");
    const tokens = await ctx.request("GET", "/api/v1/api-tokens", { token });
    assert.equal(tokens.body.data.find((t: { id: string }) => t.id === ids.apitoken)?.revokedAt, null);
    assert.equal((await ctx.request("GET", `/api/v1/imports/${ids.import}`, { token })).status, 200);
    assert.equal((await ctx.request("GET", "/api/v1/organization", { token })).body.name, `${marker} org A`);
    const me = await ctx.request("GET", "/api/v1/me", { cookie: bCookie });
    assert.equal(me.body.organizationId, b.id);
  });

  test("org B's lists never include org A's rows", async () => {
    const lists = ops.filter(
      (o) =>
        o.method === "get" &&
        isTenantScoped(o.path) &&
        !o.path.includes("{") &&
        !buildCall(o, {}).unresolved.length,
    );
    assert.ok(lists.some((o) => o.path === "/api/v1/events"));
    const aIds = Object.entries(ids).filter(([key]) => key !== "member" && key !== "organization");
    for (const o of lists) {
      const res = await ctx.request("GET", o.path, { token: b.tokens.owner });
      assert.equal(res.status, 200, `${o.path}: ${res.text}`);
      for (const secret of [secretTitle, secretEmail, memberEmail, marker, a.id])
        assert.ok(!res.text.includes(secret), `${o.path} lists org A's data`);
      for (const [key, id] of aIds) assert.ok(!res.text.includes(id), `${o.path} lists org A's ${key}`);
    }
    // Searching by A's contact email in B finds nothing either.
    const search = await ctx.request("GET", `/api/v1/contacts?q=${encodeURIComponent(secretEmail)}`, {
      token: b.tokens.owner,
    });
    assert.deepEqual(search.body.data, []);
  });

  test("org A's ids inside org B's bodies are refused like ids that do not exist", async () => {
    const token = b.tokens.owner;
    const event = await ctx.request("POST", "/api/v1/events", {
      token,
      body: {
        title: "B's event",
        startsAt: "2026-06-01T09:00",
        endsAt: "2026-06-01T17:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    const bEvent: string = event.body.id;
    const missing = "01900000-0000-7000-8000-000000000000";
    const attempts: [string, string, (id: string) => unknown][] = [
      ["POST", `/api/v1/events/${bEvent}/registrations`, (id) => ({ contactId: id })],
      [
        "POST",
        `/api/v1/events/${bEvent}/registrations`,
        (id) => ({
          contact: { firstName: "B", lastName: "Person", email: "b-person@example.com" },
          sessionIds: [id],
        }),
      ],
      ["POST", `/api/v1/events/${bEvent}/check-ins`, (id) => ({ registrationId: id })],
    ];
    const foreignIds = [ids.contact, ids.session, ids.registration] as string[];
    for (const [i, [method, url, body]] of attempts.entries()) {
      const foreign = await ctx.request(method, url, { token, body: body(foreignIds[i] as string) });
      const absent = await ctx.request(method, url, { token, body: body(missing) });
      assert.ok(foreign.status >= 400, `${url}: ${foreign.text}`);
      assert.deepEqual([foreign.status, foreign.body], [absent.status, absent.body], url);
      assert.ok(!foreign.text.includes(secretEmail));
    }
    const registrations = await ctx.request("GET", `/api/v1/events/${bEvent}/registrations`, { token });
    assert.deepEqual(registrations.body.data, []);
  });
});
