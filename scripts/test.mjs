// Runs node:test over every *.test.ts under src/, test/ and simulators/ (Node 20's --test
// does not expand globs itself). Extra arguments narrow the run: `npm test -- test/api`.
// The fault suite (test/faults) is long and runs on its own: `npm run test:faults`.
// TEST_CONCURRENCY files at a time (default 2: the machines here have two cores).
//
// The files run compiled (scripts/compile.mjs: every source file of src/, test/, simulators/,
// docs/ and web/src/ in about 2 s) from a folder of this run's own, not through tsx: with tsx's
// hooks, each test process resolved ~2,400 modules through a hook thread and started in
// 1.4–2.4 s (docs/performance.md, "CI time"). import.meta still names each source file, so
// paths resolved from it are the sources' own; the workers and servers the tests start run the
// same build (AUDITORIUM_TEST_BUILD, test/helpers/main-process.ts).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { compile, sources } from "./compile.mjs";

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
  } else if (p.endsWith(".test.ts")) files.push(path.normalize(p));
}
for (const root of roots) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}

// Inside the checkout, so that the compiled files find node_modules as the sources do; one
// folder per run, so that two runs in one checkout do not write over each other.
mkdirSync(".test-build", { recursive: true });
const out = path.resolve(mkdtempSync(path.join(".test-build", "run-")));
const compiled = (file) => path.join(out, file.replace(/\.ts$/, ".js"));
let status = 1;
try {
  await compile({
    entryPoints: ["src", "test", "simulators", "docs", "web/src"].flatMap(sources),
    outdir: out,
    outbase: ".",
    sourcemap: "inline",
    sourceMeta: true,
  });
  // Files that measure latency under load run after the others, one at a time, so that no
  // other file's work is inside what they measure.
  const ALONE = new Set([path.join("test", "faults", "public-load.test.ts")]);
  const shared = files.filter((f) => !ALONE.has(f));
  const alone = files.filter((f) => ALONE.has(f));
  const concurrency = process.env.TEST_CONCURRENCY ?? "2";
  status = 0;
  for (const [group, n] of [
    [shared, concurrency],
    [alone, "1"],
  ]) {
    if (group.length === 0) continue;
    const result = spawnSync(
      process.execPath,
      ["--enable-source-maps", "--test", `--test-concurrency=${n}`, ...group.map(compiled)],
      { stdio: "inherit", env: { ...process.env, AUDITORIUM_TEST_BUILD: out } },
    );
    status ||= result.status ?? 1;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(status);
