import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { TEST_ALLOW_PRIVATE_HOSTS } from "../helpers/harness.ts";

/** Starts `auditorium worker` as a separate process, as a deployment would. */
export function startWorker(env: Record<string, string>): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("src/main.ts"), "worker"], {
    env: {
      ...process.env,
      AUDITORIUM_LOG_LEVEL: "warn",
      AUDITORIUM_ALLOW_PRIVATE_HOSTS: TEST_ALLOW_PRIVATE_HOSTS,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  child.stdout?.on("data", (c: Buffer) => child.output.push(c.toString()));
  child.stderr?.on("data", (c: Buffer) => child.output.push(c.toString()));
  return child;
}

export async function stopWorker(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
