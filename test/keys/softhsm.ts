import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/**
 * Throw-away SoftHSM2 tokens for tests.
 *
 * SoftHSM reads SOFTHSM2_CONF once, at C_Initialize, and only sees tokens that existed then.
 * So every token of a test process lives in one temp token folder (created on first use, with
 * SOFTHSM2_CONF pointing at it for this process and its children), and tests must create their
 * tokens before opening the first provider — or after closing all of them (the pkcs11 provider
 * finalises the module when its last user closes, and the next open re-reads the folder).
 *
 * A missing SoftHSM2 is a test failure, not a skip: CI installs it.
 */
export interface SoftHsmToken {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  soPin: string;
  /** Deletes the token; the last cleanup removes the temp folder and restores SOFTHSM2_CONF. */
  cleanup(): Promise<void>;
}

const run = promisify(execFile);
const INSTALL_HINT = "install SoftHSM2 with `apt-get install -y softhsm2` (CI does this in .ci/run)";

const MODULE_CANDIDATES = [
  process.env.SOFTHSM2_MODULE,
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
  "/usr/lib64/pkcs11/libsofthsm2.so",
  "/opt/homebrew/lib/softhsm/libsofthsm2.so",
].filter((p): p is string => typeof p === "string" && p.length > 0);

interface Shared {
  dir: string;
  conf: string;
  previousConf: string | undefined;
  live: number;
}
let shared: Shared | null = null;
let counter = 0;

async function findModule(): Promise<string> {
  for (const candidate of MODULE_CANDIDATES) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `SoftHSM2 PKCS#11 module not found (looked in ${MODULE_CANDIDATES.join(", ")}): ${INSTALL_HINT}`,
  );
}

async function util(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run("softhsm2-util", args, { env });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new Error(`softhsm2-util not found on PATH: ${INSTALL_HINT}`);
    throw new Error(`softhsm2-util ${args[0]} failed: ${err.stderr ?? err.message}`, { cause: e });
  }
}

async function sharedFolder(): Promise<Shared> {
  if (shared) return shared;
  const dir = await mkdtemp(path.join(os.tmpdir(), "auditorium-softhsm-"));
  const tokendir = path.join(dir, "tokens");
  await mkdir(tokendir, { mode: 0o700 });
  const conf = path.join(dir, "softhsm2.conf");
  await writeFile(
    conf,
    `directories.tokendir = ${tokendir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
    { mode: 0o600 },
  );
  const previousConf = process.env.SOFTHSM2_CONF;
  // Before any C_Initialize in this process: the library reads it there.
  process.env.SOFTHSM2_CONF = conf;
  shared = { dir, conf, previousConf, live: 0 };
  return shared;
}

/** Initialises a fresh token with random PINs in the process's temp SoftHSM2 folder. */
export async function createSoftHsmToken(opts: { label?: string } = {}): Promise<SoftHsmToken> {
  const modulePath = await findModule();
  await util(["--version"], process.env);
  const s = await sharedFolder();
  const env = { ...process.env, SOFTHSM2_CONF: s.conf };
  const tokenLabel = opts.label ?? `aud-${process.pid}-${++counter}`;
  // Distinctive PINs, so tests can assert they never appear in messages.
  const pin = `pin-${randomBytes(6).toString("hex")}`;
  const soPin = `so-${randomBytes(6).toString("hex")}`;
  s.live++;
  const release = async () => {
    if (--s.live > 0 || shared !== s) return;
    shared = null;
    if (s.previousConf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = s.previousConf;
    await rm(s.dir, { recursive: true, force: true });
  };
  try {
    await util(["--init-token", "--free", "--label", tokenLabel, "--pin", pin, "--so-pin", soPin], env);
  } catch (e) {
    await release();
    throw e;
  }
  let cleaned = false;
  return {
    modulePath,
    tokenLabel,
    pin,
    soPin,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await util(["--delete-token", "--token", tokenLabel], env).catch(() => undefined);
      await release();
    },
  };
}
