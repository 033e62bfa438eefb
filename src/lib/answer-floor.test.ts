import assert from "node:assert/strict";
import { test } from "node:test";
import { createAnswerFloor } from "./answer-floor.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("an answer waits for the floor; a failure too", async () => {
  const floor = createAnswerFloor({ minMs: 60, maxMs: 1000 });
  let started = performance.now();
  assert.equal(await floor.run(async () => 7), 7);
  assert.ok(performance.now() - started >= 55, "a quick answer waited for the floor");
  started = performance.now();
  await assert.rejects(
    floor.run(async () => Promise.reject(new Error("no"))),
    /no/,
  );
  assert.ok(performance.now() - started >= 55, "a quick failure waited for the floor too");
});

test("the floor follows the slow recent work, within its bounds", async () => {
  const floor = createAnswerFloor({ minMs: 10, maxMs: 150, window: 10, quantile: 0.5 });
  for (let i = 0; i < 6; i++) await floor.run(() => sleep(80));
  assert.ok(floor.floorMs() >= 75, `the floor rose to the slow work: ${floor.floorMs()}`);
  const started = performance.now();
  await floor.run(async () => undefined);
  assert.ok(performance.now() - started >= 70, "then a quick answer waits as long as the slow ones");
  for (let i = 0; i < 6; i++) await floor.run(() => sleep(400));
  assert.equal(floor.floorMs(), 150, "never above maxMs");
});
