// Runs node:test over every *.test.ts under src/, test/ and simulators/ (Node 20's --test
// does not expand globs itself). Extra arguments narrow the run: `npm test -- test/api`.
// The fault suite (test/faults) is long and runs on its own: `npm run test:faults`.
// TEST_CONCURRENCY files at a time (default 2: the machines here have two cores).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const explicit = process.argv.slice(2);
const roots = explicit.length ? explicit : ["src", "test", "simulators"];
const skipped = explicit.length ? new Set() : new Set([path.join("test", "faults")]);
const files = [];
function walk(p) {
  let s;
  try {
    s = statSync(p);
  } catch {
    return;
  }
  if (s.isDirectory()) {
    if (path.basename(p) === "node_modules" || skipped.has(path.normalize(p))) return;
    for (const entry of readdirSync(p).sort()) walk(path.join(p, entry));
  } else if (p.endsWith(".test.ts")) files.push(p);
}
for (const root of roots) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}
// Files that measure latency under load run after the others, one at a time, so that no
// other file's work is inside what they measure.
const ALONE = new Set([path.join("test", "faults", "public-load.test.ts")]);
const shared = files.filter((f) => !ALONE.has(path.normalize(f)));
const alone = files.filter((f) => ALONE.has(path.normalize(f)));
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
let status = 0;
for (const [group, n] of [
  [shared, concurrency],
  [alone, "1"],
]) {
  if (group.length === 0) continue;
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${n}`, ...group],
    {
      stdio: "inherit",
    },
  );
  status ||= result.status ?? 1;
}
process.exit(status);
