import assert from "node:assert/strict";
import { before, test } from "node:test";
import { WEBINAR_TERMS_VERSION } from "../../src/modules/webinars/terms.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import {
  BODY_OVERRIDES,
  type BodyOverrides,
  buildCall,
  type Operation,
  operations,
} from "../helpers/openapi-routes.ts";
import { routeFixtures } from "../helpers/route-fixtures.ts";

/**
 * Roles on every route, as a table built from the running app's OpenAPI document: routes
 * added later are checked without editing this file. Path parameters take real ids of
 * resources created here, so a refusal is the role check, not a missing resource.
 * (The route derivation is shared with tenancy.test.ts: test/helpers/openapi-routes.ts.)
 */

/** Reachable without credentials. */
const OPEN = [
  /^\/api\/v1\/public\//,
  /^\/api\/v1\/auth\/(link|login|invitation|sign-in-link|password-reset)$/,
];
/** Organization administration: admin and owner only, reads included. */
const ADMIN_ONLY = [
  /^(get|post|patch|delete) \/api\/v1\/members/,
  /^get \/api\/v1\/email\/messages/,
  /^(get|post|delete) \/api\/v1\/api-tokens/,
  /^patch \/api\/v1\/organization$/,
  /^patch \/api\/v1\/organization\/registrant-settings$/,
  /^(post|patch|delete) \/api\/v1\/webinar-configurations/,
  /^get \/api\/v1\/webinar-configurations\/\{id\}\/issues$/,
  /^post \/api\/v1\/webinar\/terms\//,
  /^get \/api\/v1\/audit$/,
  /^delete \/api\/v1\/contacts\/\{id\}$/,
  /^get \/api\/v1\/contacts\/\{id\}\/export$/,
  /^get \/api\/v1\/erasures/,
  /^(get|post|patch|delete) \/api\/v1\/webhook-endpoints/,
  /^(get|put|post) \/api\/v1\/privacy\/retention/,
  /^get \/api\/v1\/demo\/webinar-account$/,
  /^get \/api\/v1\/email\//,
];

/** Bodies for routes only this suite calls with a valid body. */
const BODIES: BodyOverrides = {
  ...BODY_OVERRIDES,
  "post /api/v1/webinar/terms/accept": () => ({ version: WEBINAR_TERMS_VERSION }),
  "post /api/v1/webinar-configurations": () => ({
    provider: "on24",
    name: "Roles account",
    credentials: { clientId: "2", accessTokenKey: "roles-key", accessTokenSecret: "roles-secret" },
  }),
};

const isOpen = (path: string) => OPEN.some((re) => re.test(path));
/** The refusal of a route that only a signed-in browser session may call (never a token). */
const SESSION_ONLY = /signed-in (user|admin)/;
const isAdminOnly = (o: Operation) => ADMIN_ONLY.some((re) => re.test(`${o.method} ${o.path}`));
const name = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;

forEachBackend("roles", (ctx) => {
  let org: TestOrg;
  let ops: Operation[] = [];

  const fixtures = () => routeFixtures(ctx, org);

  async function send(o: Operation, ids: Record<string, string>, credential: { token?: string }) {
    const call = buildCall(o, ids, BODIES);
    assert.deepEqual(call.unresolved, [], `${name(o)}: add a fixture for its parameters`);
    return ctx.request(o.method, call.url, {
      ...credential,
      headers: call.headers,
      ...(call.body !== undefined && { body: call.body }),
      ...(call.raw !== undefined && { raw: call.raw }),
    });
  }

  // Writes that destroy their target run last, so the other routes still find theirs.
  const destructiveLast = (x: Operation, y: Operation) =>
    Number(x.method === "delete" || /\/(cancel|withdraw)$/.test(x.path)) -
    Number(y.method === "delete" || /\/(cancel|withdraw)$/.test(y.path));

  before(async () => {
    org = await ctx.createOrg("Roles org");
    ops = (await operations(ctx)).sort(destructiveLast);
  });

  test("a viewer token is refused (403) on every write", async () => {
    const ids = await fixtures();
    const writes = ops.filter((o) => o.method !== "get" && !isOpen(o.path));
    assert.ok(writes.length > 15);
    for (const o of writes) {
      const res = await send(o, ids, { token: org.tokens.viewer });
      assert.equal(res.status, 403, `${name(o)}: ${res.status} ${res.text}`);
    }
    // Nothing changed underneath.
    const event = await ctx.request("GET", `/api/v1/events/${ids.event}`, { token: org.tokens.viewer });
    assert.equal(event.body.status, "draft");
  });

  test("a viewer token reads everything but organization administration", async () => {
    const ids = await fixtures();
    for (const o of ops.filter((op) => op.method === "get" && !isOpen(op.path))) {
      const res = await send(o, ids, { token: org.tokens.viewer });
      if (isAdminOnly(o)) assert.equal(res.status, 403, `${name(o)}: ${res.text}`);
      else assert.equal(res.status, 200, `${name(o)}: ${res.text}`);
    }
  });

  test("a marketer is refused on admin routes and allowed on the others", async () => {
    const ids = await fixtures();
    const admin = ops.filter(isAdminOnly);
    assert.ok(admin.some((o) => o.path === "/api/v1/members/{id}" && o.method === "delete"));
    assert.ok(admin.some((o) => o.path === "/api/v1/organization" && o.method === "patch"));
    for (const o of ops.filter((op) => !isOpen(op.path))) {
      const res = await send(o, ids, { token: org.tokens.marketer });
      if (isAdminOnly(o)) {
        assert.equal(res.status, 403, `${name(o)}: ${res.text}`);
        continue;
      }
      // Session-only routes refuse every token; that is not a role decision.
      if (res.status === 403 && SESSION_ONLY.test(res.text)) continue;
      assert.ok(![401, 403].includes(res.status), `${name(o)}: ${res.status} ${res.text}`);
      assert.ok(res.status < 500, `${name(o)}: ${res.text}`);
    }
  });

  test("an admin token passes the admin routes", async () => {
    const ids = await fixtures();
    for (const o of ops.filter(isAdminOnly)) {
      const res = await send(o, ids, { token: org.tokens.admin });
      if (res.status === 403 && SESSION_ONLY.test(res.text)) continue;
      // A state refusal (e.g. "no credentials to check") is not a role decision.
      const stateRefusal = res.status === 409 && !/role/.test(res.text);
      assert.ok(
        (res.status >= 200 && res.status < 300) || stateRefusal,
        `${name(o)}: ${res.status} ${res.text}`,
      );
    }
  });

  test("without credentials every non-public /api/v1 route answers 401", async () => {
    const ids = await fixtures();
    const closed = ops.filter((o) => o.path.startsWith("/api/v1/") && !isOpen(o.path));
    assert.ok(closed.length > 25);
    for (const o of closed) {
      // With a valid request, and with no body and a malformed id: 401 either way, so an
      // anonymous caller learns nothing about the input a route expects.
      const valid = await send(o, ids, {});
      assert.equal(valid.status, 401, `${name(o)}: ${valid.text}`);
      assert.equal(valid.body.error.code, "unauthenticated");
      const bare = await ctx.request(o.method, o.path.replace(/\{[^}]+\}/g, "not-a-uuid"));
      assert.equal(bare.status, 401, `${name(o)} (no body): ${bare.text}`);
    }
    const open = await ctx.request("POST", "/api/v1/auth/login", {
      body: { email: "nobody@example.com", password: "wrong password" },
    });
    assert.equal(open.body.error.code, "invalid_credentials");
  });
});
