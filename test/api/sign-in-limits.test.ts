import assert from "node:assert/strict";
import { before, test } from "node:test";
import { createPasswordHasher } from "../../src/modules/access/passwords.ts";
import { createSignInLimiter } from "../../src/modules/access/sign-in-limits.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";

// One hash at a time in this suite's app, so the cap is visible.
testEnv.AUDITORIUM_PASSWORD_HASH_CONCURRENCY = "1";

const PASSWORD = "the right password, long enough";

test("password hashes beyond the cap wait for a slot, or are refused 503 busy with Retry-After", async () => {
  const patient = createPasswordHasher({ maxConcurrent: 2, maxWaitMs: 60_000 });
  const hashed = await patient.hash(PASSWORD);
  const results = await Promise.all(Array.from({ length: 8 }, () => patient.verify(hashed, PASSWORD)));
  assert.deepEqual(results, Array(8).fill(true));
  assert.equal(patient.stats().peak, 2, "more hashes ran at once than the cap");

  const hurried = createPasswordHasher({ maxConcurrent: 1, maxWaitMs: 1 });
  const settled = await Promise.allSettled(Array.from({ length: 6 }, () => hurried.verify(hashed, "wrong")));
  const refused = settled.filter((s) => s.status === "rejected");
  assert.ok(refused.length >= 1, "nobody was refused");
  for (const r of refused) {
    const reason = (r as PromiseRejectedResult).reason;
    assert.equal(reason.status, 503);
    assert.equal(reason.code, "busy");
    assert.ok(reason.retryAfterSeconds >= 1);
  }
  assert.equal(hurried.stats().peak, 1);
});

forEachBackend("password sign-in limits", (ctx) => {
  let org: TestOrg;
  let email: string;
  before(async () => {
    org = await ctx.createOrg("sign-in");
    const user = await ctx.database.db
      .selectFrom("users")
      .select("email")
      .where("id", "=", org.ownerId)
      .executeTakeFirstOrThrow();
    email = user.email;
    await ctx.services.signIn.setPassword(
      { userId: org.ownerId, organizationId: org.id, role: "owner", via: "token" },
      PASSWORD,
    );
  });

  const login = (address: string, password: string, who = email) =>
    ctx.request("POST", "/api/v1/auth/login", { body: { email: who, password }, remoteAddress: address });

  test("failures lock the (account, address) pair, not the account: its owner elsewhere signs in", async () => {
    const attacker = "203.0.113.50";
    for (let i = 0; i < 5; i++) assert.equal((await login(attacker, `guess ${i}`)).status, 401);
    const locked = await login(attacker, PASSWORD);
    assert.equal(locked.status, 429, "the sixth try from the guessing address was let through");
    assert.equal(locked.body.error.code, "rate_limited");
    const retryAfter = Number(locked.headers["retry-after"]);
    assert.ok(retryAfter >= 1 && retryAfter <= 15 * 60, String(retryAfter));
    // The same address, differently spelt email: the same account.
    assert.equal((await login(attacker, PASSWORD, ` ${email.toUpperCase()} `)).status, 429);

    const owner = await login("198.51.100.8", PASSWORD);
    assert.equal(owner.status, 200, owner.text);

    // Shared state: another process (its own limiter over the same database) refuses too.
    const elsewhere = createSignInLimiter({ db: ctx.database.db });
    await assert.rejects(elsewhere.check(email, attacker), (e: { status?: number }) => e.status === 429);
    await elsewhere.check(email, "198.51.100.8");
  });

  test("many failures from one address, over any accounts, stop that address before hashing", async () => {
    const sprayer = "203.0.113.77";
    for (let i = 0; i < 30; i++)
      assert.equal((await login(sprayer, "password1", `nobody${i}@example.com`)).status, 401);
    const hashesBefore = ctx.services.passwords.stats().granted;
    const stopped = await login(sprayer, PASSWORD);
    assert.equal(stopped.status, 429);
    assert.ok(Number(stopped.headers["retry-after"]) >= 1);
    assert.equal(ctx.services.passwords.stats().granted, hashesBefore, "a refused sign-in was hashed");
    assert.equal((await login("198.51.100.9", PASSWORD)).status, 200);
  });

  test("concurrent sign-ins never run more hashes than configured", async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => login(`192.0.2.${10 + i}`, `wrong ${i}`)),
    );
    for (const a of answers) {
      assert.ok(a.status === 401 || a.status === 503, `${a.status} ${a.text}`);
      if (a.status === 503) assert.ok(Number(a.headers["retry-after"]) >= 1);
    }
    assert.equal(ctx.services.passwords.stats().peak, 1);
  });
});
