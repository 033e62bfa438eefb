import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";

const METRICS_TOKEN = "metrics-token-for-the-scraper-0123";
testEnv.AUDITORIUM_METRICS_TOKEN = METRICS_TOKEN;

forEachBackend("platform", (ctx, backend) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg();
  });

  test("/healthz and /readyz answer without credentials; readyz names the database", async () => {
    const health = await ctx.request("GET", "/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: "ok" });
    const ready = await ctx.request("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: "ready", database: backend });
  });

  test("/metrics is Prometheus text with request durations by route template", async () => {
    // One request with an id in the path, so the label must be the template, not the id.
    await ctx.request("GET", `/api/v1/events/${org.id}`, { token: org.tokens.viewer });
    const res = await ctx.request("GET", "/metrics", { token: METRICS_TOKEN });
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain/);
    assert.match(res.text, /^# HELP auditorium_http_request_duration_seconds /m);
    assert.match(res.text, /^# TYPE auditorium_http_request_duration_seconds histogram$/m);
    assert.match(
      res.text,
      /auditorium_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/events\/:id",status="404"\} 1/,
    );
    assert.doesNotMatch(res.text, new RegExp(org.id));
  });

  test("/metrics needs the operator's metrics token; an API token or none is refused", async () => {
    for (const token of [undefined, org.tokens.owner, `${METRICS_TOKEN}x`, METRICS_TOKEN.slice(1)]) {
      const res = await ctx.request("GET", "/metrics", token === undefined ? {} : { token });
      assert.equal(res.status, 401, String(token));
      assert.equal(res.body.error.code, "unauthenticated");
      assert.doesNotMatch(res.text, /auditorium_http/);
    }
  });

  test("/openapi.json is OpenAPI 3.1 and lists the main paths", async () => {
    const res = await ctx.request("GET", "/openapi.json");
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\.1\.\d+$/);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      "/api/v1/events",
      "/api/v1/events/{id}",
      "/api/v1/events/{id}/sessions",
      "/api/v1/events/{id}/sessions/{sessionId}",
      "/api/v1/events/{id}/publish",
      "/api/v1/events/{id}/registrations",
      "/api/v1/registrations/{id}/cancel",
      "/api/v1/contacts",
      "/api/v1/contacts/{id}",
      "/api/v1/public/events/{slug}",
      "/api/v1/public/events/{slug}/registrations",
      "/api/v1/public/registrations/cancel",
      "/api/v1/organization",
    ]) {
      assert.ok(paths.includes(p), `missing ${p}`);
    }
    // Operational endpoints are hidden from the API description.
    assert.ok(!paths.includes("/metrics") && !paths.includes("/healthz"));
    const create = res.body.paths["/api/v1/events"].post;
    assert.ok(create.requestBody, "request body documented");
    assert.ok(create.responses["201"] && create.responses["400"], "responses documented");
    // The public endpoint needs no credentials.
    assert.deepEqual(res.body.paths["/api/v1/public/events/{slug}"].get.security, []);
  });

  test("/docs serves HTML", async () => {
    let res = await ctx.request("GET", "/docs");
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 3; hops++) {
      const location = String(res.headers.location);
      res = await ctx.request(
        "GET",
        location.startsWith("/") ? location : `/docs/${location.replace(/^\.\//, "")}`,
      );
    }
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /text\/html/);
    assert.match(res.text, /<html/i);
  });

  test("an unknown route is 404 in the standard error body; API routes need credentials", async () => {
    const res = await ctx.request("GET", "/nothing-here?secret=abc");
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(res.body), ["error"]);
    assert.equal(res.body.error.code, "not_found");
    assert.equal(typeof res.body.error.message, "string");
    // The query string is not echoed back.
    assert.doesNotMatch(res.text, /secret=abc/);
    const api = await ctx.request("GET", "/api/v1/nothing-here", { token: org.tokens.viewer });
    assert.equal(api.status, 404);
    assert.equal(api.body.error.code, "not_found");
    const wrongMethod = await ctx.request("PUT", "/api/v1/events", { token: org.tokens.viewer });
    assert.equal(wrongMethod.status, 404);
    assert.equal(wrongMethod.body.error.code, "not_found");
    const anonymous = await ctx.request("GET", "/api/v1/events");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, "unauthenticated");
    const badToken = await ctx.request("GET", "/api/v1/events", { token: "aud_notavalidtoken" });
    assert.equal(badToken.status, 401);
    assert.equal(badToken.body.error.code, "token_invalid");
  });
});
