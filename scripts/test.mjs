// Runs every *.test.ts under src/, test/ and simulators/. Extra arguments narrow the run:
// `npm test -- test/api`. The fault suite (test/faults) is long and runs on its own:
// `npm run test:faults`.
//
// The files run compiled (scripts/compile.mjs: every source file of src/, test/, simulators/,
// docs/ and web/src/ in about 2 s) from a folder of this run's own, not through tsx: with tsx's
// hooks, each test process resolved ~2,400 modules through a hook thread and started in
// 1.4–2.4 s (docs/performance.md, "CI time"). import.meta still names each source file, so
// paths resolved from it are the sources' own; the workers and servers the tests start run the
// same build (AUDITORIUM_TEST_BUILD, test/helpers/main-process.ts).
//
// Each file is its own `node` process (node:test runs a file's tests when the file is run),
// scheduled here, two at a time (TEST_CONCURRENCY overrides) plus a lane for files that mostly
// wait: Node 20's runner sorts the files it is given and starts them in that order, so the
// slowest could start last and run alone, and a file asleep held one of the two places.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { compile, sources } from "./compile.mjs";

// Every source file the tests may import is compiled; the test files are the .test.ts among
// them, so the tree is read once.
const entryPoints = ["src", "test", "simulators", "docs", "web/src"].flatMap(sources);
const explicit = process.argv.slice(2).map((p) => path.normalize(p).replace(/[\\/]+$/, ""));
const roots = explicit.length ? explicit : ["src", "test", "simulators"];
const skipped = explicit.length ? [] : [path.join("test", "faults")];
const under = (f, dir) => f === dir || f.startsWith(dir + path.sep);
const files = entryPoints
  .filter(
    (f) => f.endsWith(".test.ts") && roots.some((r) => under(f, r)) && !skipped.some((d) => under(f, d)),
  )
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}

const named = (list) => list.map((f) => path.join(...f.split("/")));
// Files that measure latency under load run after the others, one at a time, so that no
// other file's work is inside what they measure.
const ALONE = named(["test/faults/public-load.test.ts"]);
// The slowest files start first, so that none is left running alone at the end (2026-12-07:
// in the fault suite, the worker kills, 105 s and last in name order, ran alone for 50 s).
const SLOWEST = named([
  "test/webinars/drain.test.ts",
  "test/api/registrations-list.test.ts",
  "test/faults/worker-kills.test.ts",
  "test/faults/provider-faults.test.ts",
  "test/faults/connection-cuts.test.ts",
]);
const rank = (f) => (SLOWEST.includes(f) ? SLOWEST.indexOf(f) : SLOWEST.length);
// Files that mostly wait (pg-boss's heartbeat and polling, retry back-offs, a provider's
// pacing, simulated providers) run one at a time, in this order, in a lane of their own beside
// the two: each used under a third of a core over its run (2026-12-07, CPU ÷ wall, its worker
// processes included: provider guarantees 110 s of 379 s, queue claims 9.5 of 117, batch jobs
// 11 of 54, webhook delivery 7 of 45, the email outbox 6.5 of 41, webhook events 8 of 36, GoTo
// sync 12 of 48), and none measures time. The files that do (the rate limiter, the public
// form's timing, the check-in desk's upload) stay among the two.
const WAITING = named([
  "test/providers/guarantees.test.ts",
  "test/jobs/queue-claims.test.ts",
  "test/webinars/bulk-jobs.test.ts",
  "test/providers/goto.sync.test.ts",
  "test/webhooks-out/delivery.test.ts",
  "test/email/email-outbox.test.ts",
  "test/webhooks-out/events.test.ts",
]);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);

/** Runs one compiled file; its output is printed whole when it ends, so files do not interleave. */
function runFile(file, env) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--enable-source-maps", compiled(file)], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    children.add(child);
    child.on("exit", () => children.delete(child));
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    child.on("close", (code, signal) => {
      const ok = code === 0;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `# file ${file}: ${ok ? "passed" : `FAILED (${signal ?? code})`} in ${seconds} s\n`,
      );
      process.stdout.write(Buffer.concat(chunks));
      resolve(ok);
    });
  });
}

/** `n` files at a time, in the order given; resolves to the files that failed. */
function runPass(queue, n, env) {
  const failed = [];
  let running = 0;
  return new Promise((resolve) => {
    const fill = () => {
      while (running < n && queue.length > 0) {
        const file = queue.shift();
        running += 1;
        runFile(file, env).then((ok) => {
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

// Inside the checkout, so that the compiled files find node_modules as the sources do; one
// folder per run, so that two runs in one checkout do not write over each other.
mkdirSync(".test-build", { recursive: true });
const out = path.resolve(mkdtempSync(path.join(".test-build", "run-")));
// Stopped (Ctrl-C, a CI timeout): the files running stop too, and the build folder goes.
const children = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const child of children) child.kill("SIGTERM");
    rmSync(out, { recursive: true, force: true });
    process.exit(130);
  });
}
const compiled = (file) => path.join(out, file.replace(/\.ts$/, ".js"));
const failed = [];
try {
  await compile({ entryPoints, outdir: out, outbase: ".", sourcemap: "inline", sourceMeta: true });
  process.stdout.write(
    `# compiled ${entryPoints.length} source files in ${(performance.now() / 1000).toFixed(1)} s\n`,
  );
  const env = { ...process.env, AUDITORIUM_TEST_BUILD: out };
  const amongTheTwo = (f) => !ALONE.includes(f) && !WAITING.includes(f);
  const lanes = await Promise.all([
    runPass(
      files.filter(amongTheTwo).sort((a, b) => rank(a) - rank(b)),
      concurrency,
      env,
    ),
    runPass(
      WAITING.filter((f) => files.includes(f)),
      1,
      env,
    ),
  ]);
  failed.push(...lanes.flat());
  const alone = files.filter((f) => ALONE.includes(f));
  failed.push(...(await runPass(alone, 1, env)));
} finally {
  rmSync(out, { recursive: true, force: true });
}
const total = (performance.now() / 1000).toFixed(0);
process.stdout.write(
  `# ${files.length} files in ${total} s: ${files.length - failed.length} passed, ${failed.length} failed\n`,
);
for (const f of failed) process.stdout.write(`# failed: ${f}\n`);
process.exit(failed.length ? 1 : 0);
