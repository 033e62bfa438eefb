import assert from "node:assert/strict";
import { before, test } from "node:test";
import { hashToken } from "../../src/lib/ids.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/**
 * Verified API tokens are remembered for 1 s (src/modules/access/token-cache.ts). Revoking
 * through this process takes effect at once (test/api/access.test.ts); a revocation written
 * by another process (`serve --processes N`), seen here only in the database, takes effect
 * within the second.
 */
forEachBackend("API token cache", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("token cache");
  });

  test("a revocation by another process is respected within a second", async () => {
    const created = await ctx.request("POST", "/api/v1/api-tokens", {
      token: org.tokens.admin,
      body: { name: "other process", role: "viewer" },
    });
    assert.equal(created.status, 201, created.text);
    const secret = created.body.token as string;
    assert.equal((await ctx.request("GET", "/api/v1/events", { token: secret })).status, 200);
    // What another process's revocation leaves behind: the row, and nothing in this process's
    // memory (which still holds the token as verified).
    await ctx.database.db
      .updateTable("api_tokens")
      .set({ revoked_at: new Date() })
      .where("token_hash", "=", hashToken(secret))
      .execute();
    await new Promise((r) => setTimeout(r, 1100));
    const after = await ctx.request("GET", "/api/v1/events", { token: secret });
    assert.equal(after.status, 401, after.text);
    assert.equal(after.body.error.code, "token_invalid");
  });
});
