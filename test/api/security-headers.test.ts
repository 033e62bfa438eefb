import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachBackend } from "../helpers/harness.ts";

/** Headers every answer carries; the browser test checks the app works under them. */
forEachBackend(
  "security headers",
  (ctx) => {
    test("the web app and the API send CSP, frame-ancestors 'none', nosniff and a referrer policy", async () => {
      for (const url of ["/", "/e/some-event", "/api/v1/events", "/healthz"]) {
        const res = await ctx.request("GET", url);
        const csp = String(res.headers["content-security-policy"] ?? "");
        assert.match(csp, /default-src 'self'/, url);
        assert.match(csp, /script-src 'self'(;|$)/, url);
        assert.match(csp, /frame-ancestors 'none'/, url);
        assert.match(csp, /object-src 'none'/, url);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, url);
        assert.equal(res.headers["x-content-type-options"], "nosniff", url);
        assert.equal(res.headers["x-frame-options"], "DENY", url);
        assert.equal(res.headers["referrer-policy"], "no-referrer", url);
      }
    });

    test("the API docs keep a policy of their own that still refuses framing", async () => {
      const res = await ctx.request("GET", "/docs");
      assert.equal(res.status, 200);
      assert.match(String(res.headers["content-security-policy"]), /frame-ancestors 'none'/);
    });

    test("without AUDITORIUM_METRICS_TOKEN, /metrics does not exist", async () => {
      const res = await ctx.request("GET", "/metrics");
      assert.equal(res.status, 404);
      assert.doesNotMatch(res.text, /auditorium_http/);
    });
  },
  { only: "pglite" },
);
