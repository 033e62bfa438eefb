import assert from "node:assert/strict";
import { test } from "node:test";
import { erasureBackoffSeconds } from "../modules/webinars/sync/erase-handler.ts";
import { retryBackoff } from "../modules/webinars/sync/provider-call.ts";
import { backoffSeconds } from "./backoff.ts";

const lowest = () => 0;
const highest = () => 0.999_999;

test("the wait grows with each attempt: attempt n+1 never waits less than attempt n's longest", () => {
  for (let n = 0; n < 8; n++) {
    const longest = backoffSeconds(n, 300, highest);
    const next = backoffSeconds(n + 1, 300, lowest);
    assert.ok(next >= longest - 1e-6, `attempt ${n + 1} waits ${next} s, attempt ${n} up to ${longest} s`);
    assert.ok(backoffSeconds(n + 1, 300, lowest) > backoffSeconds(n, 300, lowest));
  }
});

test("the wait is jittered: jobs failing together spread over half the ceiling", () => {
  const waits = Array.from({ length: 200 }, () => backoffSeconds(6, 300));
  const distinct = new Set(waits.map((w) => w.toFixed(3)));
  assert.ok(distinct.size > 150, `${distinct.size} distinct waits of 200`);
  assert.ok(
    Math.min(...waits) >= 32 && Math.max(...waits) <= 64,
    `${Math.min(...waits)}–${Math.max(...waits)}`,
  );
  assert.ok(Math.max(...waits) - Math.min(...waits) > 16, "spread over at least half the range");
});

test("the wait is capped, jitter included, and still jittered at the cap", () => {
  for (const attempts of [9, 10, 20, 1000]) {
    assert.ok(backoffSeconds(attempts, 300, highest) <= 300);
    assert.ok(backoffSeconds(attempts, 300, lowest) >= 150);
  }
  assert.ok(Number.isFinite(backoffSeconds(Number.MAX_SAFE_INTEGER, 300)));
});

test("the sync and erasure back-offs keep to their caps (five and ten minutes) at every attempt", () => {
  const syncBackoffSeconds = retryBackoff();
  for (let attempts = 1; attempts <= 40; attempts++) {
    for (let i = 0; i < 50; i++) {
      const sync = syncBackoffSeconds(attempts);
      const erasure = erasureBackoffSeconds(attempts);
      assert.ok(sync > 0 && sync <= 300, `sync attempt ${attempts}: ${sync} s`);
      assert.ok(erasure > 0 && erasure <= 600, `erasure attempt ${attempts}: ${erasure} s`);
    }
  }
});

test("an operator's cap on the sync back-off holds at every attempt, and the doubling below it is kept", () => {
  const capped = retryBackoff({ retryCapSeconds: 4 });
  for (let attempts = 1; attempts <= 40; attempts++) {
    for (let i = 0; i < 50; i++) {
      const wait = capped(attempts);
      assert.ok(wait >= Math.min(2, 2 ** attempts / 2) && wait <= 4, `attempt ${attempts}: ${wait} s`);
    }
  }
  assert.ok(capped(1) <= 2, "attempt 1 waits 1–2 s as without a cap");
});
