import assert from "node:assert/strict";
import { test } from "node:test";
import { createLatenessAllowance, LATENESS_DEFAULTS } from "../../src/jobs/lateness-allowance.ts";
import { bucketRate } from "../../src/jobs/rate-limiter.ts";

/** A clock the test moves by hand, and a controller on it. */
function onFakeClock() {
  let t = 1_000_000;
  const allowance = createLatenessAllowance({ now: () => t });
  return {
    allowance,
    advance(ms: number) {
      t += ms;
    },
    /** Permits used every 10 ms for `ms`, each `offset + jitter(i)` after its slot. */
    feed(ms: number, offset: number, jitter: (i: number) => number) {
      for (let i = 0; i < ms / 10; i++) {
        allowance.record(offset + jitter(i));
        t += 10;
      }
    },
  };
}

const { windowMs, pathMs, minMs, maxMs, initialMs } = LATENESS_DEFAULTS;

test("before a window has been measured the room is the fixed 30 ms of before", () => {
  const c = onFakeClock();
  assert.equal(c.allowance.allowanceMs(), initialMs);
  c.feed(windowMs / 2, 0, () => 1);
  assert.equal(c.allowance.allowanceMs(), initialMs);
});

test("a quiet process narrows to its measured spread (down to the floor); the clocks' offset cancels out", () => {
  const c = onFakeClock();
  // The database's clock 400 ms behind ours, timers 0–2 ms late.
  c.feed(windowMs + 1000, 400, (i) => i % 3);
  assert.equal(c.allowance.allowanceMs(), Math.max(minMs, 2 + pathMs));
  // A steadier one is held at the floor.
  const steady = onFakeClock();
  steady.feed(windowMs + 1000, -250, () => 0);
  assert.equal(steady.allowance.allowanceMs(), minMs);
});

test("one late permit widens the room at once; it narrows only when that permit leaves the window", () => {
  const c = onFakeClock();
  c.feed(windowMs + 1000, 0, () => 1);
  const quiet = c.allowance.allowanceMs();
  c.allowance.record(18);
  assert.equal(c.allowance.allowanceMs(), 18 - 1 + pathMs);
  c.feed(windowMs - 100, 0, () => 1);
  assert.equal(c.allowance.allowanceMs(), 18 - 1 + pathMs, "still inside the window");
  c.feed(200, 0, () => 1);
  assert.equal(c.allowance.allowanceMs(), quiet, "the late permit has left the window");
});

test("a loaded process keeps the room its lateness needs, within the upper bound", () => {
  const c = onFakeClock();
  c.feed(windowMs + 1000, 5, (i) => (i * 7) % 40);
  assert.equal(c.allowance.allowanceMs(), 39 + pathMs);
  c.allowance.record(500);
  assert.equal(c.allowance.allowanceMs(), maxMs);
});

test("a quota answer widens to the upper bound for one window, whatever the timers say", () => {
  const c = onFakeClock();
  c.feed(windowMs + 1000, 0, () => 0);
  assert.equal(c.allowance.allowanceMs(), minMs);
  c.allowance.quotaAnswered();
  assert.equal(c.allowance.allowanceMs(), maxMs);
  c.feed(windowMs - 10, 0, () => 0);
  assert.equal(c.allowance.allowanceMs(), maxMs);
  c.advance(20);
  assert.equal(c.allowance.allowanceMs(), minMs);
});

test("samples that are not numbers change nothing", () => {
  const c = onFakeClock();
  c.feed(windowMs + 1000, 0, () => 0);
  c.allowance.record(Number.NaN);
  c.allowance.record(Number.POSITIVE_INFINITY);
  assert.equal(c.allowance.allowanceMs(), minMs);
});

/**
 * The bucket against provider windows, simulated: slots granted at the bucket's rate, each sent up to `lateMs` late in the worst pattern for the window (the early
 * ones late, the later ones on time), counted in every one-second window the provider may
 * choose. Shaped for the lateness it has, no window gets more than R; shaped for less
 * lateness than it has, some window does (so the room is what keeps it under quota).
 */
function busiestWindow(perSecond: number, shapedForMs: number, lateMs: number): number {
  const rate = bucketRate(perSecond, shapedForMs);
  const sends: number[] = [];
  // Grants: one at t = 0, then one every 1/rate s; the first second of grants is sent
  // `lateMs` late, the rest on time.
  for (let i = 0; i < 3 * perSecond; i++) {
    const slot = (i / rate) * 1000;
    sends.push(slot < 1000 ? slot + lateMs : slot);
  }
  sends.sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < sends.length; i++) {
    while ((sends[j] ?? 0) <= (sends[i] ?? 0) - 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

test("the bucket shaped for the measured lateness keeps every provider window at or under R", () => {
  for (const perSecond of [10, 50, 100, 500]) {
    for (const lateMs of [minMs, 10, 30, maxMs]) {
      const worst = busiestWindow(perSecond, lateMs, lateMs);
      assert.ok(worst <= perSecond, `${perSecond}/s shaped for ${lateMs} ms: a window got ${worst}`);
    }
  }
  // The room is what keeps it under: shaped for the floor but 60 ms late, R = 100 overshoots.
  assert.ok(busiestWindow(100, minMs, maxMs) > 100);
});

test("at the floor the bucket refills at ≥ 0.99 R, so a quiet drain can pass 0.97 R; at 30 ms it keeps the room of before", () => {
  for (const perSecond of [50, 100, 150, 500, 1000]) {
    const rate = bucketRate(perSecond, minMs);
    // No burst is taken out of R: with R / 50 of one, R = 100 refilled at 98.4 /s here.
    assert.ok(rate >= 0.99 * perSecond, `${perSecond}/s: refill ${rate}`);
    const fixed = bucketRate(perSecond, initialMs);
    assert.ok(fixed >= 0.95 * perSecond && fixed < rate, `${perSecond}/s at 30 ms: ${fixed}`);
  }
});

test("how late a request is counts from the window's earliest sample: the clocks' offset is not lateness", () => {
  const c = onFakeClock();
  assert.equal(c.allowance.lateBy(500), 0, "nothing measured yet: nothing to compare with");
  // The database's clock 400 ms behind ours, answers back in 1–3 ms.
  c.feed(2000, 400, (i) => 1 + (i % 3));
  assert.equal(c.allowance.lateBy(401), 0);
  assert.equal(c.allowance.lateBy(431), 30);
  // Once the early samples leave the window, the earliest is the later ones'.
  c.feed(windowMs + 10, 460, () => 0);
  assert.equal(c.allowance.lateBy(461), 1);
});
