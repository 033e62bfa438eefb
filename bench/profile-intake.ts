import { execFile } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { buildBenchApp, createBenchDatabase, createOrg, intakeServeEnv, intakeTargets, log } from "./lib.ts";
import { autocannon, freePort, type LoadTarget, startProcess, stopProcess } from "./load.ts";

/**
 * Where a `serve` process spends its CPU under the intake load (issue 18, point 2): one
 * `serve --no-worker` process on server PostgreSQL, run with V8's sampling profiler
 * (`--cpu-prof`), loaded by autocannon from another process for `--seconds` per route, first
 * the API registration route (bearer token), then the public form, each in a process of its own
 * so their profiles do not mix. Prints each profile's top self-time functions (what the widest
 * tops of its flame graph are) and renders the flame graph with 0x (`--visualize-cpu-profile`).
 *
 *   npx tsx bench/profile-intake.ts --seconds 15 --out /tmp/profile
 */
const run = promisify(execFile);

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/**
 * Self time per function (name + file + line), as a share of the samples that were not idle,
 * counting only the samples taken `skipMs` or more after the profile began (start-up and
 * warm-up are not the registration path).
 */
export function topSelfTime(
  profile: CpuProfile,
  skipMs: number,
  top = 5,
  by: "function" | "package" = "function",
) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += (profile.timeDeltas[i] ?? 0) / 1000;
    if (at < skipMs) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    const file = url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "");
    const key =
      by === "package"
        ? (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
          (file.startsWith("src/") ? file : file ? "node internals" : "native, GC, program"))
        : `${functionName || "(anonymous)"} ${file}${file ? `:${lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + 1);
    total += 1;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, hits]) => ({ fn, percent: Number(((hits / total) * 100).toFixed(1)) }));
}

/** Milliseconds the thread was not idle from `skipMs` on: divided by the answers, CPU per registration. */
export function busyMs(profile: CpuProfile, skipMs: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let at = 0;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const step = (profile.timeDeltas[i] ?? 0) / 1000;
    at += step;
    if (at < skipMs) continue;
    if (byId.get(profile.samples[i] as number)?.callFrame.functionName !== "(idle)") busy += step;
  }
  return busy;
}

async function main() {
  const argv = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? (argv[i + 1] as string) : fallback;
  };
  const seconds = Number(option("seconds", "15"));
  const connections = Number(option("concurrency", "20"));
  const out = path.resolve(option("out", "profile-intake"));
  const only = option("only", "api,public").split(",");
  await mkdir(out, { recursive: true });

  const bench = await createBenchDatabase(10);
  const setup = await buildBenchApp(bench.database);
  try {
    const org = await createOrg(bench.database, setup.services);
    const intake = await intakeTargets(setup.app, org.token, "Profile");
    const targets: Record<string, (base: string) => LoadTarget> = { api: intake.api, public: intake.public };
    for (const route of only) {
      const target = targets[route];
      if (!target) throw new Error(`unknown route ${route}`);
      const dir = path.join(out, route);
      await mkdir(dir, { recursive: true });
      const port = await freePort();
      const spawned = performance.now();
      const base = `http://127.0.0.1:${port}`;
      const serve = await startProcess(
        ["--cpu-prof", "--cpu-prof-dir", dir, path.resolve("src/main.ts"), "serve", "--no-worker"],
        intakeServeEnv({ databaseUrl: bench.url, port, dataDir: setup.dataDir, poolSize: 10 }),
        async () => (await fetch(`${base}/readyz`)).ok,
      );
      await autocannon(target(base), { connections, seconds: 3 });
      const skipMs = performance.now() - spawned;
      const result = await autocannon(target(base), { connections, seconds });
      log(
        `${route}: ${result.rate.toFixed(0)}/s, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}`,
      );
      await stopProcess(serve);
      const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
      // The largest profile is the server's (a tsx helper may write a small one of its own).
      let best = { file: "", size: 0, profile: { nodes: [], samples: [], timeDeltas: [] } as CpuProfile };
      for (const f of files) {
        const text = await readFile(path.join(dir, f), "utf8");
        if (text.length > best.size) best = { file: f, size: text.length, profile: JSON.parse(text) };
      }
      process.stdout.write(
        `\n${route} (${result.rate.toFixed(0)}/s, p99 ${result.p99} ms), top self time:\n`,
      );
      for (const row of topSelfTime(best.profile, skipMs, 12))
        process.stdout.write(`  ${row.percent}%  ${row.fn}\n`);
      process.stdout.write("  by package or file:\n");
      for (const row of topSelfTime(best.profile, skipMs, 10, "package"))
        process.stdout.write(`  ${row.percent}%  ${row.fn}\n`);
      await run(process.execPath, [
        path.resolve("node_modules/0x/cmd.js"),
        "--visualize-cpu-profile",
        path.join(dir, best.file),
      ]).catch((error) => log(`0x flame graph not rendered: ${(error as Error).message.slice(0, 200)}`));
    }
  } finally {
    await setup.close().catch(() => {});
    await bench.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
