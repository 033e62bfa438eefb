import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { forEachBackend } from "../helpers/harness.ts";
import { ensureWebBuilt } from "./server.ts";

// The app reads web/dist when it is built, so the build must exist before the suite starts.
ensureWebBuilt();
const assets = readdirSync(path.resolve(import.meta.dirname, "../../web/dist/assets"));

/** Every route the web app declares (web/src/app.tsx), with its parameters filled in. */
const appRoutes = [
  ...readFileSync(path.resolve(import.meta.dirname, "../../web/src/app.tsx"), "utf8").matchAll(
    /<Route path="([^"*]+)"/g,
  ),
].map((m) => (m[1] as string).replace(/:\w+/g, "x1"));

forEachBackend(
  "serving the web app",
  (ctx) => {
    test("client routes get index.html, revalidated every time", async () => {
      for (const url of [
        "/",
        "/signin",
        "/events",
        "/events/abc/dashboard?session=x",
        "/e/launch",
        "/r/tok",
        // A link in an email or a reload lands on any route the app declares.
        ...appRoutes,
      ]) {
        const res = await ctx.request("GET", url);
        assert.equal(res.status, 200, url);
        assert.match(String(res.headers["content-type"]), /text\/html/, url);
        assert.match(res.text, /<div id="root">/, url);
        assert.equal(res.headers["cache-control"], "no-cache", url);
      }
    });

    test("hashed assets are cached for a year as immutable", async () => {
      const js = assets.find((a) => a.endsWith(".js"));
      assert.ok(js, "a built script");
      const res = await ctx.request("GET", `/assets/${js}`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers["content-type"]), /javascript/);
      assert.match(String(res.headers["cache-control"]), /max-age=31536000/);
      assert.match(String(res.headers["cache-control"]), /immutable/);
      const missing = await ctx.request("GET", "/assets/nope-123.js");
      assert.equal(missing.status, 404);
    });

    test("API and unknown paths keep the JSON 404; the API is not shadowed", async () => {
      const org = await ctx.createOrg("serving");
      for (const url of ["/api/v1/nothing-here", "/nothing-here", "/events.php", "/e/a/b"]) {
        const res = await ctx.request("GET", url, { token: org.tokens.viewer });
        assert.equal(res.status, 404, url);
        assert.equal(res.body.error.code, "not_found", url);
      }
      const anonymous = await ctx.request("GET", "/api/v1/events");
      assert.equal(anonymous.status, 401);
      const openapi = await ctx.request("GET", "/openapi.json");
      assert.equal(openapi.status, 200);
      assert.ok(openapi.body.paths);
    });
  },
  { only: "pglite" },
);
