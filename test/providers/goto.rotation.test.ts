// GoTo refresh-token rotation across a restart: the simulator issues a new refresh token at every
// exchange and retires the old one (its `rotateRefreshTokens` knob, as GoTo does when a token
// expires). The new token must be stored sealed, so a NEW app instance on the same database —
// no memory of the old one — continues to work. Before the fix the rotated token lived only in
// the first instance's memory, and the second instance failed with "not authenticated".
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { createLogger } from "../../src/lib/logger.ts";
import {
  forEachBackend,
  TEST_ALLOW_PRIVATE_HOSTS,
  type TestContext,
  type TestOrg,
  testEnv,
} from "../helpers/harness.ts";
import { acceptTerms, addConfiguration } from "../helpers/webinar-setup.ts";
import { GOTO_ACCOUNT, sim, startGoto } from "../simulators/goto-harness.ts";

const s = await startGoto({ rotateRefreshTokens: true });
testEnv.AUDITORIUM_GOTO_API_URL = s.apiUrl;
testEnv.AUDITORIUM_GOTO_AUTH_URL = s.authUrl;
after(() => s.close());

/** A second app instance on the suite's database and keyring: a restart, or another process. */
async function restartedApp(ctx: TestContext) {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const config = loadConfig({
    AUDITORIUM_ALLOW_PRIVATE_HOSTS: TEST_ALLOW_PRIVATE_HOSTS,
    AUDITORIUM_DATA_DIR: ctx.dataDir,
    ...testEnv,
  });
  const built = await buildApp({ config, database: ctx.database, logger: createLogger("info", sink) });
  await built.app.ready();
  return { app: built.app, logs };
}

forEachBackend("GoTo refresh-token rotation", (ctx) => {
  let org: TestOrg;
  let configId: string;
  before(async () => {
    // Each backend's suite starts from the token we were given (the other one rotated it).
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/restore`);
    org = await ctx.createOrg("goto-rotation");
    await acceptTerms(ctx, org);
    configId = await addConfiguration(ctx, org, {
      provider: "goto",
      name: "GoTo rotating",
      settings: { organizerKey: GOTO_ACCOUNT.organizerKey },
      credentials: {
        clientId: GOTO_ACCOUNT.clientId,
        clientSecret: GOTO_ACCOUNT.clientSecret,
        refreshToken: GOTO_ACCOUNT.refreshToken,
      },
    });
  });

  const check = async (app: { inject: TestContext["app"]["inject"] }) => {
    const res = await app.inject({
      method: "POST",
      url: `/api/v1/webinar-configurations/${configId}/check`,
      headers: { authorization: `Bearer ${org.tokens.admin}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    return JSON.parse(res.body).health as { status: string; message: string };
  };
  const storedRecord = async () =>
    JSON.stringify(
      (
        await ctx.database.db
          .selectFrom("webinar_secrets")
          .select(["record", "set_at"])
          .where("configuration_id", "=", configId)
          .where("field", "=", "refreshToken")
          .executeTakeFirstOrThrow()
      ).record,
    );

  test("a rotated refresh token is stored sealed, and a new app instance on the same database continues with it", async () => {
    const before = await storedRecord();
    assert.equal((await check(ctx.app)).status, "healthy");
    // GoTo issued a new refresh token and retired the one we were given.
    const account = s.state.accountByClient(GOTO_ACCOUNT.clientId);
    assert.ok(account && !account.refreshTokens.has(GOTO_ACCOUNT.refreshToken), "the old token is retired");
    const [current] = [...(account?.refreshTokens ?? [])];
    assert.ok(current);

    const second = await restartedApp(ctx);
    try {
      const health = await check(second.app);
      assert.equal(health.status, "healthy", health.message);
      const after = await storedRecord();
      assert.notEqual(after, before, "the stored record changed");
      assert.ok(!after.includes(current), "stored sealed, not in plain text");
      // …and the second instance's own rotation is stored too: the first one continues after it.
      await sim(s, "POST", "/tokens/expire");
      assert.equal((await check(ctx.app)).status, "healthy");
      assert.ok(!second.logs.join("").includes(current), "no token in the logs");
    } finally {
      await second.app.close();
    }
    assert.ok(!ctx.logs.join("").includes(GOTO_ACCOUNT.refreshToken), "no token in the logs");
  });

  test("two instances exchanging at once both succeed: the stored token is never spent twice", async () => {
    const second = await restartedApp(ctx);
    try {
      await sim(s, "POST", "/tokens/expire");
      const [a, b] = await Promise.all([check(ctx.app), check(second.app)]);
      assert.equal(a.status, "healthy", a.message);
      assert.equal(b.status, "healthy", b.message);
      // A third instance still finds a token GoTo accepts.
      const third = await restartedApp(ctx);
      try {
        assert.equal((await check(third.app)).status, "healthy");
      } finally {
        await third.app.close();
      }
    } finally {
      await second.app.close();
    }
  });
});
