import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import {
  createGuardedFetch,
  isBlockedAddress,
  NOTHING_ALLOWED,
  OUTBOUND_BLOCKED,
  parseAllowList,
} from "../../src/lib/outbound-guard.ts";
import { createHttpContractProvider } from "../../src/providers/http-contract/adapter.ts";
import { contractErrorKind } from "../../src/providers/http-contract/client.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";

/**
 * SSRF: a tenant-chosen URL (the open contract's base URL) must not reach loopback, private,
 * link-local or other internal addresses, whatever name points there, and no redirect is
 * followed. A real HTTP server on 127.0.0.1 plays the internal service and counts what reaches it.
 */
const received: string[] = [];
const internal = http.createServer((req, res) => {
  received.push(`${req.method} ${req.url}`);
  if (req.url?.startsWith("/redirect")) {
    res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end('{"data":[]}');
});
let port = 0;
before(async () => {
  await new Promise<void>((resolve) => internal.listen(0, "127.0.0.1", resolve));
  port = (internal.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => internal.close(() => resolve())));

// This file's app allows nothing: the harness's default (loopback, for the simulators) is off.
testEnv.AUDITORIUM_ALLOW_PRIVATE_HOSTS = "";

const blockedCode = (error: unknown) => (error as { code?: string }).code;

test("internal addresses are refused before any byte is sent; public unicast is not", async () => {
  for (const address of [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fd00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:a01:203",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
  ])
    assert.ok(isBlockedAddress(address, NOTHING_ALLOWED), address);
  for (const address of ["8.8.8.8", "203.0.114.1", "2606:4700::1111"])
    assert.ok(!isBlockedAddress(address, NOTHING_ALLOWED), address);

  const guarded = createGuardedFetch(NOTHING_ALLOWED);
  for (const url of [
    `http://127.0.0.1:${port}/webinar-types`,
    `http://10.0.0.1:${port}/`,
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    `http://[::1]:${port}/`,
    "http://[fd00::1]/",
    `http://[::ffff:127.0.0.1]:${port}/`,
    // A name that resolves to loopback: checked on the resolved address at connect time.
    `http://localhost:${port}/`,
    `https://localhost:${port}/`,
  ]) {
    await assert.rejects(guarded(url, { method: "POST", body: "secret=1" }), (error) => {
      assert.equal(blockedCode(error), OUTBOUND_BLOCKED, url);
      assert.match(String((error as Error).message), /AUDITORIUM_ALLOW_PRIVATE_HOSTS/);
      return true;
    });
  }
  assert.deepEqual(received, [], "the internal server received a request");
});

test("the operator's allow list opens named hosts and ranges; a redirect is not followed", async () => {
  const parsed = parseAllowList("127.0.0.0/8, localhost");
  assert.ok("ok" in parsed);
  assert.deepEqual(parseAllowList("10.0.0.0/33"), { bad: "10.0.0.0/33" });
  assert.deepEqual(parseAllowList("http://x"), { bad: "http://x" });
  const guarded = createGuardedFetch(parsed.ok);
  const ok = await guarded(`http://127.0.0.1:${port}/webinar-types`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { data: [] });
  const byName = await guarded(`http://localhost:${port}/by-name`);
  assert.equal(byName.status, 200);
  await byName.text();
  // Allowed by range, not name: the name goes through the connect-time check and passes it.
  const ranges = parseAllowList("127.0.0.0/8,::1");
  assert.ok("ok" in ranges);
  const resolved = await createGuardedFetch(ranges.ok)(`http://localhost:${port}/by-range`);
  assert.equal(resolved.status, 200);
  await resolved.text();
  received.length = 0;
  const redirected = await guarded(`http://127.0.0.1:${port}/redirect`);
  assert.equal(redirected.status, 302, "the redirect is the answer");
  await redirected.text();
  assert.deepEqual(received, ["GET /redirect"], "nothing was fetched after the redirect");
  // Only the exact range: another private range stays closed.
  await assert.rejects(guarded("http://10.0.0.1/"), (e) => blockedCode(e) === OUTBOUND_BLOCKED);
});

test("an open-contract service that redirects is not followed, and the check fails", async () => {
  const allowed = parseAllowList("127.0.0.0/8");
  assert.ok("ok" in allowed);
  const provider = createHttpContractProvider({ fetch: createGuardedFetch(allowed.ok), timeoutMs: 5000 });
  received.length = 0;
  const check = await provider.checkCredentials({
    settings: { baseUrl: `http://127.0.0.1:${port}/redirect-base` },
    credentials: {
      clientId: Buffer.from("id"),
      clientSecret: Buffer.from("secret-value"),
      webhookSecret: Buffer.from("hook"),
    },
  });
  assert.notEqual(check.status, "healthy");
  assert.match(check.message, /HTTP 302/);
  assert.deepEqual(received, ["POST /redirect-base/oauth/token"], "the redirect was followed");
  // On an API call a 3xx is a permanent error: the base URL is wrong, retrying will not help.
  for (const status of [301, 302, 307, 308]) assert.equal(contractErrorKind(status, undefined), "invalid");
});

forEachBackend(
  "open contract configuration pointing inside",
  (ctx) => {
    let org: TestOrg;
    before(async () => {
      org = await ctx.createOrg("ssrf");
      const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: org.tokens.admin });
      await ctx.request("POST", "/api/v1/webinar/terms/accept", {
        token: org.tokens.admin,
        body: { version: terms.body.version },
      });
    });

    test("a base URL on loopback fails its health check without reaching the server", async () => {
      received.length = 0;
      for (const baseUrl of [
        `http://127.0.0.1:${port}`,
        `http://localhost:${port}/api`,
        `http://[::1]:${port}`,
      ]) {
        const created = await ctx.request("POST", "/api/v1/webinar-configurations", {
          token: org.tokens.admin,
          body: {
            provider: "http-contract",
            name: "Inside",
            settings: { baseUrl },
            credentials: { clientId: "id", clientSecret: "secret-value", webhookSecret: "hook" },
          },
        });
        assert.equal(created.status, 201, created.text);
        const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${created.body.id}/check`, {
          token: org.tokens.admin,
        });
        assert.equal(checked.status, 200, checked.text);
        assert.equal(checked.body.health.status, "unhealthy", baseUrl);
        assert.match(checked.body.health.message, /private|AUDITORIUM_ALLOW_PRIVATE_HOSTS/, baseUrl);
      }
      assert.deepEqual(received, [], "the credentials were posted to an internal address");
    });
  },
  { only: "pglite" },
);
