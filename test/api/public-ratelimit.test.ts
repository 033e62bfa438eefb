import assert from "node:assert/strict";
import { before, test } from "node:test";
import { publishedEvent } from "../helpers/events.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";

// The limit is read when the app is built, so this suite sets it before declaring itself.
testEnv.AUDITORIUM_PUBLIC_RATE_LIMIT = "3";
testEnv.AUDITORIUM_PUBLIC_RATE_WINDOW_SECONDS = "60";

forEachBackend("public rate limit", (ctx) => {
  let org: TestOrg;
  let slug: string;
  before(async () => {
    org = await ctx.createOrg();
    ({ slug } = await publishedEvent(ctx, org, { title: "Popular" }));
  });

  test("each client address gets its own allowance; beyond it 429 with retry-after", async () => {
    const get = (remoteAddress: string) =>
      ctx.request("GET", `/api/v1/public/events/${slug}`, { remoteAddress });
    for (let i = 0; i < 3; i++) assert.equal((await get("203.0.113.7")).status, 200);
    const limited = await get("203.0.113.7");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, "rate_limited");
    const retryAfter = Number(limited.headers["retry-after"]);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));

    // Every public route shares the allowance, and the limit comes before any parsing.
    const post = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      remoteAddress: "203.0.113.7",
      body: { firstName: "Only", lastName: "Fields", email: "x@example.com" },
    });
    assert.equal(post.status, 429);
    const garbage = await ctx.request("POST", "/api/v1/public/registrations/cancel", {
      remoteAddress: "203.0.113.7",
      raw: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(garbage.status, 429);

    // Another address is unaffected.
    assert.equal((await get("198.51.100.20")).status, 200);
    const reg = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      remoteAddress: "198.51.100.20",
      body: { firstName: "Other", lastName: "Address", email: "other@example.com" },
    });
    assert.equal(reg.status, 202, reg.text);

    // The authenticated API is not rate-limited by the public allowance.
    const api = await ctx.request("GET", "/api/v1/events", {
      token: org.tokens.viewer,
      remoteAddress: "203.0.113.7",
    });
    assert.equal(api.status, 200);
  });
});
