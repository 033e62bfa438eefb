import assert from "node:assert/strict";
import { before, test } from "node:test";
import { createProviderRateLimiter } from "../../src/jobs/rate-limiter.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { webinarSetup } from "../webinars/fixtures.ts";

/**
 * The shared limiter against a fixed one-second window, as ON24 counts: callers from many
 * "workers" at once never get more than the rate plus a small burst into any window.
 */
forEachBackend("provider rate limiter", (ctx) => {
  let org: TestOrg;
  let configId: string;
  before(async () => {
    org = await ctx.createOrg("limiter");
    ({ configId } = await webinarSetup(ctx, org));
  });

  test("20 concurrent callers at 50/s: no one-second window gets more than 50 + 5", async () => {
    const limiter = createProviderRateLimiter({ db: ctx.database.db });
    const perSecond = 50;
    const stamps: number[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() - started < 2500) {
          if (await limiter.acquire(configId, perSecond, 2000)) stamps.push(Date.now());
        }
      }),
    );
    assert.ok(stamps.length > 80, `the limiter let calls through (${stamps.length})`);
    let worst = 0;
    for (const t of stamps) worst = Math.max(worst, stamps.filter((u) => u >= t && u < t + 1000).length);
    assert.ok(worst <= perSecond + perSecond / 10, `a one-second window got ${worst} calls`);
  });
});
