import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { freePort } from "../helpers/free-port.ts";
import { forEachBackend } from "../helpers/harness.ts";
import { mainArgs } from "../helpers/main-process.ts";
import { waitUntil } from "../webinars/fixtures.ts";

/** `serve --processes N` (src/cli/serve-cluster.ts): refused on the embedded database; N HTTP processes on server PostgreSQL. */
function run(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, mainArgs(...args), {
    env: { ...process.env, AUDITORIUM_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function output(child: ChildProcess) {
  const text = { out: "", err: "" };
  child.stdout?.on("data", (c: Buffer) => (text.out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (text.err += c.toString()));
  return text;
}

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test("serve --processes on the embedded database is refused with a clear error, before any database is created", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "auditorium-processes-"));
  dirs.push(dir);
  const dataDir = path.join(dir, "data");
  const env: Record<string, string> = { AUDITORIUM_DATA_DIR: dataDir };
  const child = run(["serve", "--processes", "2"], env);
  const text = output(child);
  const code = await new Promise((r) => child.once("exit", r));
  assert.equal(code, 2);
  assert.match(text.err, /--processes N` needs DATABASE_URL \(server PostgreSQL\)/);
  assert.equal(existsSync(path.join(dataDir, "pgdata")), false, "no embedded database was created");
});

test("serve --processes with a bad count is refused, naming the option", async () => {
  const child = run(["serve", "--processes", "zero"], { DATABASE_URL: "postgres://127.0.0.1:1/none" });
  const text = output(child);
  assert.equal(await new Promise((r) => child.once("exit", r)), 2);
  assert.match(text.err, /--processes must be a whole number/);
});

forEachBackend(
  "serve --processes on server PostgreSQL",
  (ctx) => {
    test("2 HTTP processes share the port, both answer, and SIGTERM stops them all", async () => {
      const port = await freePort();
      const child = run(["serve", "--processes", "2"], {
        DATABASE_URL: ctx.database.connectionString as string,
        AUDITORIUM_DATA_DIR: ctx.dataDir,
        PORT: String(port),
        HOST: "127.0.0.1",
      });
      const text = output(child);
      try {
        await waitUntil("the banner", async () => text.out.includes("2 HTTP processes, API only"), 90_000);
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        assert.equal(ready.status, 200);
        // Two HTTP processes beside the primary (the job worker is not among them).
        const { execFileSync } = await import("node:child_process");
        const children = execFileSync("pgrep", ["-P", String(child.pid)])
          .toString()
          .trim()
          .split("\n")
          .filter(Boolean);
        assert.equal(children.length, 2, `HTTP processes: ${children.join(", ")}`);
      } finally {
        child.kill("SIGTERM");
      }
      const code = await new Promise((r) => child.once("exit", r));
      assert.equal(code, 0, text.err);
    });
  },
  { only: "postgres" },
);
