import { type ChildProcess, execFile, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type pg from "pg";
import { log, sleep } from "./lib.ts";

export { freePort } from "../test/helpers/free-port.ts";

/**
 * Load from a separate process: autocannon's command line (a well-kept HTTP load generator),
 * so the load's own CPU never shares the event loop of the service it measures.
 */
const run = promisify(execFile);
const AUTOCANNON = path.resolve("node_modules/autocannon/autocannon.js");

export interface LoadResult {
  /** 2xx answers a second over the measurement. */
  rate: number;
  /** 2xx answers in all. */
  ok: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Requests in flight (autocannon's connections). */
  connections: number;
}

export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  /** A JSON body; `[<id>]` is replaced per request by a fresh id (unique emails). */
  body: string;
}

export async function autocannon(
  target: LoadTarget,
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  const args = [AUTOCANNON, "-j", "-I", "-m", "POST", "-c", String(options.connections)];
  args.push("-d", String(options.seconds), "-b", target.body);
  for (const [k, v] of Object.entries(target.headers)) args.push("-H", `${k}=${v}`);
  args.push(target.url);
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(stdout) as {
    "2xx": number;
    non2xx: number;
    errors: number;
    duration: number;
    latency: { p50: number; p99: number };
  };
  return {
    rate: r["2xx"] / r.duration,
    ok: r["2xx"],
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    connections: options.connections,
  };
}

/**
 * The sustainable rate: the most 2xx a second with p99 ≤ `p99Ms`, closed loop. First at full
 * speed (`connections` in flight); if its p99 is over, fewer connections, until it holds. Each
 * step is one short measurement.
 *
 * Not by an offered rate (`-R`): autocannon paces each connection by a per-second count that
 * every connection resets on the same tick, so 49 /s offered over 49 connections arrive as 49
 * requests at once each second. The public form (answers no sooner than 150 ms) measured p99
 * 337 ms at 49 /s offered that way, the burst's queue, while it answered 130 /s from 20
 * connections at p99 167 ms.
 */
export async function sustainableRate(
  label: string,
  target: LoadTarget,
  options: { connections: number; seconds: number; p99Ms: number },
) {
  // A fresh process compiles its hot paths in the first seconds: warm it up uncounted.
  const warmup = await autocannon(target, { ...options, seconds: Math.min(3, options.seconds) });
  const steps: LoadResult[] = [];
  const full = await autocannon(target, options);
  steps.push(full);
  log(`${label}: full speed ${full.rate.toFixed(0)}/s, p99 ${full.p99} ms`);
  const holds = (r: LoadResult) => r.p99 <= options.p99Ms && r.non2xx === 0;
  let best = holds(full) ? full : undefined;
  let tried = options.connections;
  for (const fraction of [0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05]) {
    if (best) break;
    const connections = Math.max(1, Math.round(options.connections * fraction));
    if (connections >= tried) continue;
    tried = connections;
    const step = await autocannon(target, { ...options, connections });
    steps.push(step);
    log(`${label}: ${connections} connections → ${step.rate.toFixed(0)}/s, p99 ${step.p99} ms`);
    if (holds(step)) best = step;
  }
  return { best, full, steps, warmup };
}

/** raw INSERT + commit at `clients` connections, by pgbench (when installed): transactions a second. */
export async function pgbenchInsert(
  url: string,
  clients: number,
  seconds: number,
): Promise<number | undefined> {
  const script = path.join(os.tmpdir(), `auditorium-bench-insert-${process.pid}.sql`);
  await writeFile(
    script,
    "INSERT INTO bench_raw (email, first_name, last_name) VALUES ('p' || :client_id || '-' || random() || '@example.com', 'F', 'Bench');\n",
  );
  try {
    const { stdout } = await run("pgbench", [
      "-n",
      "-f",
      script,
      "-c",
      String(clients),
      "-j",
      String(Math.min(clients, os.cpus().length)),
      "-T",
      String(seconds),
      url,
    ]);
    const tps = /tps = ([\d.]+)/.exec(stdout);
    return tps ? Number(tps[1]) : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The same without pgbench: a `pg` pool of `clients`, each inserting one row after another. */
export async function pgLoopInsert(pool: pg.Pool, clients: number, seconds: number): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await pool.query("INSERT INTO bench_raw (email) VALUES ($1)", [`r${done}@example.com`]);
        done += 1;
      }
    }),
  );
  return done / seconds;
}

/** Starts a process and waits until `ready()` holds (at most 90 s). */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { ...process.env, ...env },
    // Its log (stdout) and errors to the bench's stderr: the table on stdout stays clean.
    stdio: ["ignore", 2, 2],
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited with ${child.exitCode}`);
    if (await ready().catch(() => false)) return child;
    if (Date.now() > deadline) throw new Error(`${args.join(" ")} did not become ready`);
    await sleep(250);
  }
}

export async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}
