import { type ChildProcess, spawn } from "node:child_process";
import { TEST_ALLOW_PRIVATE_HOSTS, TEST_SYNC_RETRY_MAX_SECONDS } from "../helpers/harness.ts";
import { mainArgs } from "../helpers/main-process.ts";

/** A line a worker wrote, with when this process received it (ms). */
export interface WorkerLine {
  at: number;
  text: string;
}

export type WorkerProcess = ChildProcess & {
  output: string[];
  /** Every line it wrote, timed on arrival: what a worker did around some moment. */
  lines: WorkerLine[];
  startedAt: number;
};

/** Starts `auditorium worker` as a separate process, as a deployment would. */
export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, mainArgs("worker"), {
    env: {
      ...process.env,
      AUDITORIUM_LOG_LEVEL: "warn",
      AUDITORIUM_ALLOW_PRIVATE_HOSTS: TEST_ALLOW_PRIVATE_HOSTS,
      AUDITORIUM_SYNC_RETRY_MAX_SECONDS: TEST_SYNC_RETRY_MAX_SECONDS,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  }) as WorkerProcess;
  child.output = [];
  child.lines = [];
  child.startedAt = Date.now();
  const partial = { stdout: "", stderr: "" };
  const keep = (stream: keyof typeof partial) => (c: Buffer) => {
    const text = c.toString();
    child.output.push(text);
    const parts = (partial[stream] + text).split("\n");
    partial[stream] = parts.pop() ?? "";
    const at = Date.now();
    for (const line of parts) if (line) child.lines.push({ at, text: line });
  };
  child.stdout?.on("data", keep("stdout"));
  child.stderr?.on("data", keep("stderr"));
  return child;
}

export async function stopWorker(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
