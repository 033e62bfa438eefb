import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createCallGate } from "../../src/jobs/call-gate.ts";
import { forEachBackend } from "../helpers/harness.ts";

/**
 * The permits of one process share one connection (advisory locks are counted per session).
 * pg queues a query sent while another runs, but that use is deprecated and goes away in pg 9:
 * the gate must send its statements one at a time itself.
 */
forEachBackend("call gate", (ctx) => {
  test("many permits at once: every call runs, calls overlap, and pg sees one query at a time", async () => {
    const gate = createCallGate(ctx.database);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      let inFlight = 0;
      let most = 0;
      const calls = Array.from({ length: 30 }, (_, i) =>
        gate.withPermit(`config-${i % 3}`, async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await sleep(20);
          inFlight -= 1;
          return i;
        }),
      );
      const results = await Promise.all(calls);
      assert.deepEqual(
        results,
        Array.from({ length: 30 }, (_, i) => i),
      );
      assert.ok(most > 1, "permits for the same configurations are shared, so calls overlap");
      await sleep(50); // warnings are emitted on the next tick
      assert.deepEqual(
        warnings.filter((w) => w.includes("already executing a query")),
        [],
      );
    } finally {
      process.off("warning", onWarning);
      await gate.close();
    }
  });
});
