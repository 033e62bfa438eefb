import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { buildServer } from "../../scripts/build-server.mjs";
import { freePort } from "../helpers/free-port.ts";
import { waitUntil } from "../webinars/fixtures.ts";

/**
 * `npm start` runs the server compiled by `prestart` (scripts/build-server.mjs), not through
 * tsx: this starts it exactly as package.json says, on a fresh embedded data folder, and checks
 * that what a user opens first is there.
 */
const root = path.resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test("the build removes a compiled file whose source is gone", async () => {
  const leftover = path.join(root, "dist", "modules", "removed-long-ago.js");
  mkdirSync(path.dirname(leftover), { recursive: true });
  writeFileSync(leftover, "throw new Error('stale');\n");
  await buildServer();
  assert.equal(existsSync(leftover), false);
  assert.equal(existsSync(path.join(root, "dist", "main.js")), true);
});

test("npm start's command serves the API, its docs and the web app on a fresh embedded folder", async () => {
  const web = spawnSync(process.execPath, [path.join(root, "web/build-if-stale.mjs")], { stdio: "inherit" });
  assert.equal(web.status, 0, "web build");
  await buildServer();
  const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts;
  const [program, ...args] = scripts.start.split(" ");
  assert.equal(program, "node", "npm start runs plain node, no loader");

  const dir = await mkdtemp(path.join(os.tmpdir(), "auditorium-compiled-"));
  dirs.push(dir);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AUDITORIUM_DATA_DIR: path.join(dir, "data"),
    PORT: String(port),
    HOST: "127.0.0.1",
    AUDITORIUM_LOG_LEVEL: "warn",
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  try {
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${out}`))),
    );
    await Promise.race([
      exited,
      waitUntil(
        "the compiled server to be ready",
        async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200,
        120_000,
      ),
    ]);
    assert.match(out, /First start: sign in as/);
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: object;
    };
    assert.match(openapi.openapi, /^3\.1/);
    assert.ok(Object.keys(openapi.paths).some((p) => p.startsWith("/api/v1/events")));
    assert.equal((await fetch(`${base}/docs/`)).status, 200);
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), readFileSync(path.join(root, "web/dist/index.html"), "utf8"));
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
  }
});
