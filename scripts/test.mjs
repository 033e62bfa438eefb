// Runs node:test over every *.test.ts under src/, test/ and simulators/ (Node 20's --test
// does not expand globs itself), one `node --test` per file, scheduled here: Node 20's runner
// sorts the files it is given and starts them in that order, which put the slowest files
// late, to run alone at the end of their pass. Extra arguments narrow the run:
// `npm test -- test/api`.
// The fault suite (test/faults) is long and runs on its own: `npm run test:faults`.
import { spawn } from "node:child_process";
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
const isBrowser = (f) => inDir(f, "test", "browser");
function passOf(f) {
  if (path.normalize(f) === path.join("test", "faults", "public-load.test.ts")) return "alone";
  if (inDir(f, "test", "faults")) return "faults";
  if (isBrowser(f)) return "browser";
  return "rest";
}
const PASSES = [
  // Three at a time on these two-core machines: at two, a quarter of the CPU sat idle (files
  // waiting on timers, lease heartbeats and simulated providers).
  ["rest", 3],
  // Each browser file runs Chromium beside its server, jobs and embedded database in one
  // process. Beside two other files, the check-in desk test's 19 KB upload waited past
  // Playwright's 15 s (CI, twice on 2026-12-07, even with one browser file at a time): two
  // at a time, among themselves.
  ["browser", 2],
  // The fault suite's files load the machine themselves (worker processes, injected faults).
  ["faults", 2],
  // Files that measure latency under load, last and alone, so that no other file's work is
  // inside what they measure.
  ["alone", 1],
];
// The slowest files start first in their pass, so that none of them is still running alone
// at its end (CI, 2026-12-07: provider guarantees 442 s, both backends in one file; the
// 50,000-row table 142 s; drain with worker processes 110 s; in the fault suite, crashes
// during a drain 110 s and connection cuts 76 s).
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

/** Runs one file; its output is printed whole when it ends, so files do not interleave. */
function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "--test", file], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    child.on("close", (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const ok = code === 0;
      process.stdout.write(
        `# file ${file}: ${ok ? "passed" : `FAILED (${signal ?? code})`} in ${seconds} s\n`,
      );
      process.stdout.write(Buffer.concat(chunks));
      resolve(ok);
    });
  });
}

/** `concurrency` files at a time, in the order given; resolves to the files that failed. */
function runPass(queue, concurrency) {
  const failed = [];
  let running = 0;
  return new Promise((resolve) => {
    const fill = () => {
      while (running < concurrency && queue.length > 0) {
        const file = queue.shift();
        running += 1;
        runFile(file).then((ok) => {
          running -= 1;
          if (!ok) failed.push(file);
          fill();
        });
      }
      if (running === 0 && queue.length === 0) resolve(failed);
    };
    fill();
  });
}

const failed = [];
const startedAll = Date.now();
for (const [pass, concurrency] of PASSES) {
  const group = files.filter((f) => passOf(f) === pass).sort((a, b) => rank(a) - rank(b));
  if (group.length === 0) continue;
  failed.push(...(await runPass(group, Number(process.env.TEST_CONCURRENCY ?? concurrency))));
}
const total = ((Date.now() - startedAll) / 1000).toFixed(0);
process.stdout.write(
  `# ${files.length} files in ${total} s: ${files.length - failed.length} passed, ${failed.length} failed\n`,
);
for (const f of failed) process.stdout.write(`# failed: ${f}\n`);
process.exit(failed.length ? 1 : 0);
