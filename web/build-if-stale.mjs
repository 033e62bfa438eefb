// Builds the web app when web/dist is missing or older than its sources, so `npm start`
// works on a fresh clone after `npm install` and never serves a stale UI. Fast no-op otherwise.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const web = path.dirname(fileURLToPath(import.meta.url));
const built = path.join(web, "dist", "index.html");

function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(p).map((e) => newest(path.join(p, e))));
}

export function webBuildIsStale() {
  if (!existsSync(built)) return true;
  const sources = ["src", "index.html", "vite.config.ts"].map((p) => newest(path.join(web, p)));
  return Math.max(...sources) > statSync(built).mtimeMs;
}

export function buildWeb() {
  const vite = path.join(web, "..", "node_modules", "vite", "bin", "vite.js");
  const result = spawnSync(process.execPath, [vite, "build", "--logLevel", "warn"], {
    cwd: web,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status})`);
}

const LOCK = path.join(web, ".build-lock");
const LOCK_STALE_MS = 5 * 60_000;

/**
 * One build at a time: test files run in parallel (and `npm start` may race a test run), and
 * two builds emptying web/dist under each other would serve a broken app. mkdir is atomic.
 */
function withLock(fn) {
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      // A lock left by a killed build is taken over once it is older than any real build.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs > LOCK_STALE_MS)
        rmSync(LOCK, { force: true, recursive: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held; remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { force: true, recursive: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes("--force");
  withLock(() => {
    // Checked inside the lock: a build that finished while we waited leaves nothing to do.
    if (force || webBuildIsStale()) {
      process.stdout.write("Building the web app (web/dist)…\n");
      buildWeb();
    }
  });
}
