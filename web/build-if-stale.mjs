// Builds the web app when web/dist is missing or older than its sources, so `npm start`
// works on a fresh clone after `npm install` and never serves a stale UI. Fast no-op otherwise.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--force") || webBuildIsStale()) {
    process.stdout.write("Building the web app (web/dist)…\n");
    buildWeb();
  }
}
