import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { createProviderRateLimiter } from "../../src/jobs/rate-limiter.ts";
import { type CallOutcome, createProviderCaller } from "../../src/modules/webinars/sync/provider-call.ts";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, webinarSetup } from "./fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/**
 * ON24 answers a spent quota with 403 and no Retry-After, and does not say how long its window
 * is. A lone quota answer pauses the account for a second; answers right after each pause
 * double it up to the configured maximum; answers to requests that were in flight when the
 * pause began change nothing; a quiet spell starts again at one second.
 */
forEachBackend("quota pause", (ctx) => {
  let configId: string;
  let call: ReturnType<typeof createProviderCaller>;
  before(async () => {
    const org = await ctx.createOrg("quota-pause");
    ({ configId } = await webinarSetup(ctx, org));
    call = createProviderCaller({
      db: ctx.database.db,
      providers: ctx.services.providers,
      configurations: ctx.services.configurations,
      gate: ctx.runtime.gate,
      limiter: createProviderRateLimiter({ db: ctx.database.db }),
      tuning: { quotaPauseSeconds: 5 },
    });
    sim.state.setKnobs({ quota: { limit: 0, windowMs: 3_600_000 } });
  });
  after(() => sim.state.setKnobs({ quota: null }));

  const lookup = () =>
    call(
      configId,
      async (provider, account) =>
        (await provider.findRegistrantByEmail?.(account, "1", "someone@example.com")) ?? null,
    );
  const pause = async () => {
    const { rows } = await sql<{ seconds: number; left: number }>`
      SELECT quota_pause_seconds AS seconds,
             extract(epoch from (paused_until - now()))::float8 AS "left"
      FROM webinar_configurations WHERE id = ${configId}`.execute(ctx.database.db);
    assert.ok(rows[0]);
    return rows[0];
  };
  /** Moves the pause's end into the past, as if that much time had gone by since. */
  const endPause = (secondsAgo: number) =>
    sql`UPDATE webinar_configurations
        SET paused_until = now() - make_interval(secs => ${secondsAgo}::float8)
        WHERE id = ${configId}`.execute(ctx.database.db);
  const deferredFor = (outcome: CallOutcome<unknown>) => {
    assert.equal(outcome.kind, "deferred", JSON.stringify(outcome));
    return outcome.kind === "deferred" ? outcome.afterSeconds : Number.NaN;
  };

  test("a lone quota answer pauses one second, and the paused account sends nothing", async () => {
    const first = deferredFor(await lookup());
    assert.ok(first > 0.5 && first <= 1, `deferred ${first} s`);
    assert.equal((await pause()).seconds, 1);
    const sent = sim.state.requestReport().total;
    const paused = await lookup();
    assert.equal(paused.kind === "deferred" && paused.reason, "Account paused after a quota answer");
    assert.equal(sim.state.requestReport().total, sent);
  });

  test("answers right after each pause double it, up to the configured maximum", async () => {
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      await endPause(0.1);
      deferredFor(await lookup());
      seen.push((await pause()).seconds);
    }
    assert.deepEqual(seen, [2, 4, 5, 5]);
  });

  test("answers to requests in flight together count once", async () => {
    await endPause(60);
    await Promise.all([lookup(), lookup(), lookup(), lookup()]);
    const { seconds, left } = await pause();
    assert.equal(seconds, 1);
    assert.ok(left <= 1, `paused ${left} s`);
  });

  test("after a quiet spell the pause starts again at one second", async () => {
    await endPause(0.1);
    deferredFor(await lookup());
    assert.equal((await pause()).seconds, 2);
    await endPause(30);
    deferredFor(await lookup());
    assert.equal((await pause()).seconds, 1);
  });
});
