// Runs node:test over every *.test.ts under src/, test/ and simulators/ (Node 20's --test
// does not expand globs itself). Extra arguments narrow the run: `npm test -- test/api`.
// The fault suite (test/faults) is long and runs on its own: `npm run test:faults`.
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
// The files run in passes, one after the other, each pass some files at a time
// (TEST_CONCURRENCY overrides them all).
const inDir = (f, ...dir) => path.normalize(f).startsWith(path.join(...dir) + path.sep);
function passOf(f) {
  if (path.normalize(f) === path.join("test", "faults", "public-load.test.ts")) return "alone";
  if (inDir(f, "test", "faults")) return "faults";
  return "rest";
}
const PASSES = [
  // Three at a time on these two-core machines: at two, a quarter of the CPU sat idle (files
  // waiting on timers, lease heartbeats and simulated providers); three took `npm test` from
  // 1,239 to about 1,080 s.
  ["rest", "3"],
  // The fault suite's files load the machine themselves (worker processes, injected faults).
  ["faults", "2"],
  // Files that measure latency under load, last and alone, so that no other file's work is
  // inside what they measure.
  ["alone", "1"],
];

/**
 * The browser files spread evenly through the others. Each runs Chromium beside its server,
 * jobs and embedded database in one process: three of them at once (the sorted list put them
 * side by side) starved a 19 KB upload past 15 s in CI; a pass of their own, two at a time,
 * left the CPU idle again (237 s of a 1,200 s run). About eight files apart, a browser file
 * shares the machine with files that are not.
 */
function spreadBrowserFiles(group) {
  const browser = group.filter((f) => inDir(f, "test", "browser"));
  const out = group.filter((f) => !inDir(f, "test", "browser"));
  const others = out.length;
  for (let i = browser.length - 1; i >= 0; i--)
    out.splice(Math.round(((i + 1) * others) / (browser.length + 1)), 0, browser[i]);
  return out;
}
// The slowest files start first in their pass, so that none of them is still running alone
// at its end (CI, 2026-12-07: provider guarantees 442 s, both backends in one file; the
// 50,000-row table 142 s; drain with worker processes 110 s; in the fault suite, crashes
// during a drain 110 s, last in the sorted list, and connection cuts 76 s).
const SLOWEST = [
  "test/providers/guarantees.test.ts",
  "test/api/registrations-list.test.ts",
  "test/webinars/drain.test.ts",
  "test/faults/worker-kills.test.ts",
  "test/faults/connection-cuts.test.ts",
].map((f) => path.join(...f.split("/")));
const rank = (f) => {
  const i = SLOWEST.indexOf(path.normalize(f));
  return i < 0 ? SLOWEST.length : i;
};

let status = 0;
for (const [pass, concurrency] of PASSES) {
  const group = spreadBrowserFiles(files.filter((f) => passOf(f) === pass)).sort((a, b) => rank(a) - rank(b));
  if (group.length === 0) continue;
  // Browser files alone (`npm run test:browser`) have nothing to spread through: two at a time.
  const onlyBrowser = group.every((f) => inDir(f, "test", "browser"));
  const n = process.env.TEST_CONCURRENCY ?? (onlyBrowser ? "2" : concurrency);
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${n}`, ...group],
    { stdio: "inherit" },
  );
  status ||= result.status ?? 1;
}
process.exit(status);
