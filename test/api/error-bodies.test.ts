import assert from "node:assert/strict";
import { test } from "node:test";
import Fastify from "fastify";
import { installErrorHandling } from "../../src/http/errors.ts";
import { AppError } from "../../src/lib/errors.ts";

/**
 * A server failure answers with a request id to quote, never with what went wrong inside:
 * messages of infrastructure errors name hosts, paths, SQL and sometimes values.
 */
test("500s and other server failures carry a request id and no internal message", async () => {
  const app = Fastify({ logger: false, requestIdHeader: "x-request-id" });
  installErrorHandling(app);
  app.get("/crash", async () => {
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password "hunter2" /srv/auditorium/data');
  });
  app.get("/upstream", async () => {
    throw new AppError(503, "key_provider_unavailable", "HSM slot 4 at /usr/lib/softhsm refused PIN");
  });
  app.get("/framework", async () => {
    throw Object.assign(new Error("socket hang up at 10.9.9.9"), { statusCode: 502 });
  });
  for (const [url, status] of [
    ["/crash", 500],
    ["/upstream", 503],
    ["/framework", 502],
  ] as const) {
    const res = await app.inject({ method: "GET", url, headers: { "x-request-id": `req-${status}` } });
    assert.equal(res.statusCode, status, url);
    const body = res.json();
    assert.deepEqual(Object.keys(body), ["error"], url);
    assert.equal(body.error.requestId, `req-${status}`, url);
    assert.match(body.error.code, /^[a-z_]+$/, url);
    for (const secret of ["10.1.2.3", "hunter2", "/srv", "HSM", "softhsm", "10.9.9.9", "hang up"])
      assert.ok(!res.body.includes(secret), `${url} leaked ${secret}: ${res.body}`);
  }
  await app.close();
});
