import os from "node:os";
import {
  type BenchResult,
  ignoreTerminatedConnections,
  log,
  type Options,
  round,
  waitForQuiet,
} from "./lib.ts";

/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name> [--option value …]` runs one.
 * Each prints a table and one JSON line. These are measurements, never pass/fail: the exit
 * code is non-zero only when a benchmark could not run.
 */
const BENCHMARKS = [
  "intake",
  "drain",
  "drain-vs-sequential",
  "footprint",
  "freshness",
  "ingest",
  "scale",
  "bulk",
  "email",
] as const;
type Name = (typeof BENCHMARKS)[number];

function parseArgs(argv: string[]) {
  const names: Name[] = [];
  const options: Options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith("--")) {
      const [key, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
      if (inline !== undefined) options[key] = inline;
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith("--")) options[key] = "true";
        else {
          options[key] = next;
          i++;
        }
      }
    } else if ((BENCHMARKS as readonly string[]).includes(arg)) names.push(arg as Name);
    else throw new Error(`unknown benchmark ${arg}; known: ${BENCHMARKS.join(", ")}`);
  }
  return { names: names.length ? names : [...BENCHMARKS], options };
}

function printTable(result: BenchResult) {
  const rows = result.rows.map(([m, v, n]) => [m, String(v), n ?? ""] as const);
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  const w1 = Math.max(5, ...rows.map((r) => r[1].length));
  const line = (a: string, b: string, c: string) => `| ${a.padEnd(w0)} | ${b.padStart(w1)} | ${c}`;
  process.stdout.write(`\n## ${result.name}\n`);
  process.stdout.write(`${line("metric", "value", "note")}\n`);
  process.stdout.write(`|${"-".repeat(w0 + 2)}|${"-".repeat(w1 + 2)}|------\n`);
  for (const r of rows) process.stdout.write(`${line(r[0], r[1], r[2])}\n`);
}

async function main() {
  ignoreTerminatedConnections();
  const { names, options } = parseArgs(process.argv.slice(2));
  const machine = {
    nproc: os.availableParallelism(),
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    loadAverage1m: Number((os.loadavg()[0] ?? 0).toFixed(2)),
  };
  process.stdout.write(`machine: ${JSON.stringify(machine)}\n`);
  const results: Record<string, BenchResult> = {};
  let failed = false;
  for (const name of names) {
    try {
      const mod = (await import(`./${name}.ts`)) as {
        run(options: Options, previous: Record<string, BenchResult>): Promise<BenchResult>;
      };
      const quiet = await waitForQuiet();
      log(
        `${name}: machine ${quiet.idle === null ? "idle unknown" : `${round(quiet.idle * 100)} % idle`} after ${quiet.waitedSeconds} s`,
      );
      const result = await mod.run(options, results);
      results[name] = result;
      printTable(result);
      process.stdout.write(`${JSON.stringify({ bench: name, machine, quiet, ...result.json })}\n`);
    } catch (error) {
      failed = true;
      process.stderr.write(
        `bench ${name} could not run: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
    }
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
