// Runs node:test over every *.test.ts under src/, test/ and simulators/ (Node 20's --test
// does not expand globs itself). Extra arguments narrow the run: `npm test -- test/api`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["src", "test", "simulators"];
const files = [];
function walk(p) {
  let s;
  try {
    s = statSync(p);
  } catch {
    return;
  }
  if (s.isDirectory()) {
    if (path.basename(p) === "node_modules") return;
    for (const entry of readdirSync(p).sort()) walk(path.join(p, entry));
  } else if (p.endsWith(".test.ts")) files.push(p);
}
for (const root of roots) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
