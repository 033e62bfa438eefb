import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/**
 * Endpoint management: the secret is shown once (create, rotate) and never again, bad input
 * answers 422 naming the field with nothing stored, the SSRF guard refuses private
 * destinations when the URL is saved, only admins manage endpoints, and every change has its
 * audit entry.
 */
forEachBackend("outgoing webhook endpoints", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("webhooks-out endpoints");
  });
  const create = (body: unknown, token = org.tokens.admin) =>
    ctx.request("POST", "/api/v1/webhook-endpoints", { token, body });
  const count = async () =>
    Number(
      (
        await ctx.database.db
          .selectFrom("webhook_endpoints")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("organization_id", "=", org.id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  test("create answers the secret once; reads never show it", async () => {
    const res = await create({
      url: "http://127.0.0.1:9/hooks",
      eventTypes: ["registration.created", "attendance.updated"],
      description: "CRM",
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(res.body.eventTypes, ["registration.created", "attendance.updated"]);
    assert.equal(res.body.enabled, true);
    const secretPart = res.body.secret.slice(6);
    const one = await ctx.request("GET", `/api/v1/webhook-endpoints/${res.body.id}`, {
      token: org.tokens.admin,
    });
    assert.equal(one.status, 200);
    assert.equal(one.body.secret, undefined);
    const list = await ctx.request("GET", "/api/v1/webhook-endpoints", { token: org.tokens.admin });
    assert.ok(list.body.data.some((e: { id: string }) => e.id === res.body.id));
    assert.ok(!one.text.includes(secretPart) && !list.text.includes(secretPart));
    // Sealed at rest: the stored record does not hold the secret.
    const stored = await ctx.database.db
      .selectFrom("webhook_endpoint_secrets")
      .select("record")
      .where("endpoint_id", "=", res.body.id)
      .executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(stored.record).includes(secretPart));
    assert.ok(!ctx.logs.join("").includes(secretPart), "the secret reached the logs");
    const audit = await ctx.database.db
      .selectFrom("audit_log")
      .select(["action", "target_id"])
      .where("organization_id", "=", org.id)
      .where("action", "=", "webhook_endpoint.created")
      .execute();
    assert.deepEqual(audit, [{ action: "webhook_endpoint.created", target_id: res.body.id }]);
  });

  // Schema errors answer 400 `validation_failed` (the house rule, docs/design.md "HTTP"); a
  // well-formed URL the guard refuses answers 422.
  test("bad input answers 4xx naming the field, and stores nothing", async () => {
    const before = await count();
    const cases: [unknown, string, number][] = [
      [{ eventTypes: ["registration.created"] }, "url", 400],
      [{ url: "not a url", eventTypes: ["registration.created"] }, "url", 400],
      [{ url: "ftp://example.com/x", eventTypes: ["registration.created"] }, "url", 422],
      [{ url: "http://127.0.0.1:9/x", eventTypes: [] }, "eventTypes", 400],
      [{ url: "http://127.0.0.1:9/x", eventTypes: ["registration.exploded"] }, "eventTypes.0", 400],
      [{ url: "http://127.0.0.1:9/x", eventTypes: ["registration.created"], secret: "mine" }, "secret", 400],
      [{ url: "http://user:pw@127.0.0.1:9/x", eventTypes: ["registration.created"] }, "url", 422],
    ];
    for (const [body, field, status] of cases) {
      const res = await create(body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.error.field, field, JSON.stringify(body));
    }
    assert.equal(await count(), before);
  });

  test("the SSRF guard refuses private, link-local and metadata destinations when saved", async () => {
    // The harness allows loopback (the test receivers); nothing else private is allowed.
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.7/hooks",
      "http://192.168.1.1/",
      "http://[fd00::1]/x",
      "http://[::ffff:10.0.0.1]/x",
      "http://0.0.0.0/x",
    ]) {
      const res = await create({ url, eventTypes: ["registration.created"] });
      assert.equal(res.status, 422, `${url}: ${res.text}`);
      assert.equal(res.body.error.code, "url_not_allowed");
      assert.equal(res.body.error.field, "url");
    }
    const ok = await create({ url: "http://127.0.0.1:9/x", eventTypes: ["registration.created"] });
    const patched = await ctx.request("PATCH", `/api/v1/webhook-endpoints/${ok.body.id}`, {
      token: org.tokens.admin,
      body: { url: "http://169.254.169.254/" },
    });
    assert.equal(patched.status, 422);
    assert.equal(patched.body.error.field, "url");
    const after = await ctx.request("GET", `/api/v1/webhook-endpoints/${ok.body.id}`, {
      token: org.tokens.admin,
    });
    assert.equal(after.body.url, "http://127.0.0.1:9/x");
  });

  test("update, rotate (the new secret once, the old one ends after the overlap), delete", async () => {
    const made = await create({ url: "http://127.0.0.1:9/a", eventTypes: ["registration.created"] });
    const id = made.body.id;
    const patched = await ctx.request("PATCH", `/api/v1/webhook-endpoints/${id}`, {
      token: org.tokens.admin,
      body: {
        url: "http://127.0.0.1:9/b",
        eventTypes: ["webinar.ended", "erasure.completed"],
        enabled: false,
      },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.url, "http://127.0.0.1:9/b");
    assert.deepEqual(patched.body.eventTypes, ["webinar.ended", "erasure.completed"]);
    assert.equal(patched.body.enabled, false);
    assert.ok(patched.body.disabledAt);
    assert.equal(patched.body.disabledReason, null);
    const empty = await ctx.request("PATCH", `/api/v1/webhook-endpoints/${id}`, {
      token: org.tokens.admin,
      body: {},
    });
    assert.equal(empty.status, 400);

    const rotated = await ctx.request("POST", `/api/v1/webhook-endpoints/${id}/rotate-secret`, {
      token: org.tokens.admin,
    });
    assert.equal(rotated.status, 200, rotated.text);
    assert.match(rotated.body.secret, /^whsec_/);
    assert.notEqual(rotated.body.secret, made.body.secret);
    const overlapEnds = Date.parse(rotated.body.previousSecretExpiresAt);
    assert.ok(Math.abs(overlapEnds - (Date.now() + 24 * 3600_000)) < 60_000, "a 24 h overlap");
    const read = await ctx.request("GET", `/api/v1/webhook-endpoints/${id}`, { token: org.tokens.admin });
    assert.equal(read.body.secretOverlapEndsAt, rotated.body.previousSecretExpiresAt);
    assert.ok(!read.text.includes(rotated.body.secret.slice(6)));

    const gone = await ctx.request("DELETE", `/api/v1/webhook-endpoints/${id}`, { token: org.tokens.admin });
    assert.equal(gone.status, 204);
    const again = await ctx.request("GET", `/api/v1/webhook-endpoints/${id}`, { token: org.tokens.admin });
    assert.equal(again.status, 404);
    const actions = (
      await ctx.database.db
        .selectFrom("audit_log")
        .select("action")
        .where("target_id", "=", id)
        .orderBy("id")
        .execute()
    ).map((a) => a.action);
    assert.deepEqual(actions, [
      "webhook_endpoint.created",
      "webhook_endpoint.updated",
      "webhook_endpoint.secret_rotated",
      "webhook_endpoint.deleted",
    ]);
  });

  test("only admins manage endpoints; another organization's endpoint is not found", async () => {
    const made = await create({ url: "http://127.0.0.1:9/c", eventTypes: ["registration.created"] });
    for (const token of [org.tokens.marketer, org.tokens.viewer]) {
      assert.equal(
        (await create({ url: "http://127.0.0.1:9/d", eventTypes: ["webinar.ended"] }, token)).status,
        403,
      );
      assert.equal((await ctx.request("GET", "/api/v1/webhook-endpoints", { token })).status, 403);
    }
    const other = await ctx.createOrg("other");
    const foreign = await ctx.request("GET", `/api/v1/webhook-endpoints/${made.body.id}`, {
      token: other.tokens.admin,
    });
    assert.equal(foreign.status, 404);
    const rotate = await ctx.request("POST", `/api/v1/webhook-endpoints/${made.body.id}/rotate-secret`, {
      token: other.tokens.owner,
    });
    assert.equal(rotate.status, 404);
  });
});
