import assert from "node:assert/strict";
import { before, test } from "node:test";
import { credentialFieldsOf } from "../../src/modules/webinars/provider-settings.ts";
import { PROVIDER_KINDS } from "../../src/providers/contract.ts";
import { createProviderRegistry } from "../../src/providers/registry.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/** The provider list (GET /api/v1/webinar-providers) and webinar types checked against it. */
forEachBackend("webinar providers and types", (ctx) => {
  let org: TestOrg;
  let configId: string;
  const registry = createProviderRegistry();

  before(async () => {
    org = await ctx.createOrg("providers-org");
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: org.tokens.admin });
    await ctx.request("POST", "/api/v1/webinar/terms/accept", {
      token: org.tokens.admin,
      body: { version: terms.body.version },
    });
    const config = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: org.tokens.admin,
      body: {
        provider: "on24",
        name: "ON24",
        settings: { region: "EU" },
        credentials: { clientId: "77", accessTokenKey: "k", accessTokenSecret: "s" },
      },
    });
    assert.equal(config.status, 201, config.text);
    configId = config.body.id;
  });

  test("every kind is described from its form and its adapter; viewers may read it", async () => {
    const res = await ctx.request("GET", "/api/v1/webinar-providers", { token: org.tokens.viewer });
    assert.equal(res.status, 200, res.text);
    const kinds = res.body.data.map((p: { kind: string }) => p.kind);
    assert.deepEqual(kinds, [...PROVIDER_KINDS]);
    for (const p of res.body.data) {
      assert.ok(p.label.length > 0);
      assert.deepEqual(
        p.credentialFields.map((f: { name: string }) => f.name).sort(),
        credentialFieldsOf(p.kind).sort(),
        `${p.kind} credential fields`,
      );
      const adapter = registry[p.kind as keyof typeof registry];
      assert.deepEqual(
        p.webinarTypes,
        (adapter.webinarTypes?.() ?? []).map((t) => ({ id: t.id, label: t.label })),
      );
      assert.equal(p.capabilities.bulkRegister, typeof adapter.bulkRegister === "function");
      assert.equal(p.capabilities.webhooks, typeof adapter.handleWebhook === "function");
      assert.equal(p.capabilities.subscriptions, typeof adapter.subscribe === "function");
    }
    const on24 = res.body.data.find((p: { kind: string }) => p.kind === "on24");
    assert.deepEqual(on24.settingsFields, [
      { name: "region", required: false, choices: ["NA", "EU"], default: "NA" },
    ]);
    assert.ok(on24.credentialFields.every((f: { required: boolean }) => f.required));
    assert.ok(on24.webinarTypes.some((t: { id: string }) => t.id === "fav"));
    assert.equal(on24.capabilities.bulkRegister, false);
    // Nothing secret or account-specific in a static description.
    assert.ok(!res.text.includes(configId));
  });

  test("anonymous callers are refused", async () => {
    const res = await ctx.request("GET", "/api/v1/webinar-providers");
    assert.equal(res.status, 401);
  });

  const eventBody = (webinarType: string | null) => ({
    title: "Typed webinar",
    startsAt: "2027-03-01T10:00",
    endsAt: "2027-03-01T11:00",
    timeZone: "Europe/Oslo",
    format: "webinar",
    webinarConfigurationId: configId,
    webinarType,
  });

  test("an event's webinarType must be one of its provider's types (422 naming webinarType)", async () => {
    const bad = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: eventBody("town-hall"),
    });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.body.error.field, "webinarType");
    assert.match(bad.body.error.message, /simulive/);
    const good = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: eventBody("simulive"),
    });
    assert.equal(good.status, 201, good.text);
    assert.equal(good.body.webinarType, "simulive");

    const patchBad = await ctx.request("PATCH", `/api/v1/events/${good.body.id}`, {
      token: org.tokens.marketer,
      body: { webinarType: "webinar" },
    });
    assert.equal(patchBad.status, 422);
    assert.equal(patchBad.body.error.field, "webinarType");
    const unchanged = await ctx.request("GET", `/api/v1/events/${good.body.id}`, {
      token: org.tokens.viewer,
    });
    assert.equal(unchanged.body.webinarType, "simulive");
    const patchGood = await ctx.request("PATCH", `/api/v1/events/${good.body.id}`, {
      token: org.tokens.marketer,
      body: { webinarType: "ondemand" },
    });
    assert.equal(patchGood.status, 200, patchGood.text);
    assert.equal(patchGood.body.webinarType, "ondemand");
  });

  test("a type without a configuration is kept for later, and checked once one is chosen", async () => {
    const body = { ...eventBody("nonsense"), format: "onsite", webinarConfigurationId: null };
    const created = await ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body });
    assert.equal(created.status, 201, created.text);
    const choose = await ctx.request("PATCH", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
      body: { webinarConfigurationId: configId },
    });
    assert.equal(choose.status, 422);
    assert.equal(choose.body.error.field, "webinarType");
  });

  test("a session's webinarType is checked against the session's configuration", async () => {
    const event = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...eventBody(null), format: "onsite", webinarConfigurationId: null },
    });
    assert.equal(event.status, 201, event.text);
    const url = `/api/v1/events/${event.body.id}/sessions`;
    const session = (webinarType: string) => ({
      title: "Keynote",
      startsAt: "2027-03-01T10:00",
      endsAt: "2027-03-01T10:30",
      format: "webinar",
      webinarConfigurationId: configId,
      webinarType,
    });
    const bad = await ctx.request("POST", url, { token: org.tokens.marketer, body: session("zoom-meeting") });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.body.error.field, "webinarType");
    const good = await ctx.request("POST", url, { token: org.tokens.marketer, body: session("fav") });
    assert.equal(good.status, 201, good.text);
    const patchBad = await ctx.request("PATCH", `${url}/${good.body.id}`, {
      token: org.tokens.marketer,
      body: { webinarType: "nope" },
    });
    assert.equal(patchBad.status, 422);
    assert.equal(patchBad.body.error.field, "webinarType");
  });
});
