import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { REGION_PREFIX } from "../simulators/on24/server.ts";
import { ON24_ACCOUNT } from "../test/webinars/fixtures.ts";

/**
 * The ON24 simulator as its own process, driven through its control API (/_sim), as an
 * operator would run it beside the service.
 *
 * Why not in the benchmark's process: the simulator stamps each request's arrival for its
 * fixed one-second quota windows. In the benchmark's process its event loop is shared with
 * the benchmark's own polling and setup, and stalls of 50–60 ms were seen there; a stall
 * stamps waiting requests late and can push one into the next window, which then counts one
 * too many. That is the benchmark's artefact, not the workers' pacing.
 */
export interface SimulatorProcess {
  baseUrls: { NA: string; EU: string };
  /** Requests received so far, and how many of them were refused for quota. */
  requests(): Promise<{ total: number; quotaRefused: number }>;
  /** What the simulator holds for one of its events: registrants and how often each was created. */
  registrants(eventId: number): Promise<{ count: number; registrants: { createCount: number }[] }>;
  close(): Promise<void>;
}

export async function startSimulatorProcess(knobs: Record<string, unknown>): Promise<SimulatorProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.resolve("simulators/on24/main.ts"), "--port", "0", "--seed", "11"],
    {
      env: {
        ...process.env,
        ON24_SIM_ACCOUNTS: JSON.stringify([{ ...ON24_ACCOUNT, clientId: Number(ON24_ACCOUNT.clientId) }]),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const url = await listeningUrl(child);
  const control = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/_sim${route}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${method} /_sim${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  await control("PATCH", "/knobs", { publicationLagMs: 0, ...knobs });
  return {
    baseUrls: { NA: url + REGION_PREFIX.NA, EU: url + REGION_PREFIX.EU },
    requests: () => control("GET", "/requests"),
    registrants: (eventId) => control("GET", `/events/${eventId}/registrants`),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The origin the simulator prints once it listens; its output before that, if it exits. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`simulator exited (${code}) before listening: ${output}`)));
  });
}
