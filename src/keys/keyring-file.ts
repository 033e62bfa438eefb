import { randomBytes } from "node:crypto";
import { constants, type FileHandle, link, mkdir, open, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { KEY_BYTES } from "./aes-gcm.ts";
import { KeyError } from "./key-error.ts";

/**
 * On-disk format and file discipline of the local keyring. Invariants:
 * - the file is only ever replaced whole (temp file + fsync + rename/link), so a crash leaves
 *   either the old or the new keyring, never half of one;
 * - the first keyring is published with link(2), which fails if the name exists: two processes
 *   creating concurrently end with exactly one keyring, and the loser reads the winner's;
 * - read-modify-write happens under an exclusive lock file, so concurrent rotations never
 *   hand out the same version number with two different keys.
 */
export const KEYRING_FORMAT = 1;

const isoDate = z.iso.datetime();
const base64Key = z.string().refine((s) => {
  const b = Buffer.from(s, "base64");
  return b.length === KEY_BYTES && b.toString("base64") === s;
}, "key must be 32 bytes in canonical base64");

const versionSchema = z.strictObject({
  version: z.int().min(1),
  key: base64Key,
  createdAt: isoDate,
  retiredAt: isoDate.optional(),
});

export const keyringFileSchema = z
  .strictObject({
    format: z.literal(KEYRING_FORMAT),
    keyringId: z.string().regex(/^kr_[A-Za-z0-9_-]{16,64}$/),
    createdAt: isoDate,
    versions: z.array(versionSchema).min(1),
  })
  .superRefine((k, ctx) => {
    const seen = new Set(k.versions.map((v) => v.version));
    if (seen.size !== k.versions.length) ctx.addIssue({ code: "custom", message: "duplicate key version" });
    if (!k.versions.some((v) => v.retiredAt === undefined)) {
      ctx.addIssue({ code: "custom", message: "no active key version" });
    }
  });

export type KeyringFile = z.infer<typeof keyringFileSchema>;
export type KeyringVersion = KeyringFile["versions"][number];

export interface LoadedKeyring {
  file: KeyringFile;
  /** Identity of the file read; a different stamp on disk means another process replaced it. */
  stamp: string;
}

const isPosix = process.platform !== "win32";
const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;
const stampOf = (s: { ino: number; size: number; mtimeMs: number }) => `${s.ino}:${s.size}:${s.mtimeMs}`;

export function newKeyringFile(now: Date): KeyringFile {
  return {
    format: KEYRING_FORMAT,
    keyringId: `kr_${randomBytes(16).toString("base64url")}`,
    createdAt: now.toISOString(),
    versions: [{ version: 1, key: randomBytes(KEY_BYTES).toString("base64"), createdAt: now.toISOString() }],
  };
}

/** Creates the folder 0700 if missing; refuses a folder others can write into. */
export async function ensureFolder(dir: string, filePath: string, create: boolean): Promise<void> {
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(dir);
  } catch (e) {
    if (errno(e) !== "ENOENT") throw new KeyError("kek_unavailable", `cannot read ${dir}`, { cause: e });
    if (!create) throw new KeyError("keyring_missing", `keyring file ${filePath} does not exist`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    s = await stat(dir);
  }
  if (!s.isDirectory()) throw new KeyError("keyring_insecure", `keyring folder ${dir} is not a directory`);
  if (isPosix && (s.mode & 0o022) !== 0) {
    throw new KeyError(
      "keyring_insecure",
      `keyring folder ${dir} is writable by group or others (mode ${(s.mode & 0o777).toString(8)}); chmod 700 it`,
    );
  }
}

/** Reads and validates the keyring; `null` if the file does not exist. */
export async function readKeyringFile(filePath: string): Promise<LoadedKeyring | null> {
  let fh: FileHandle;
  try {
    fh = await open(filePath, constants.O_RDONLY | (isPosix ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    if (errno(e) === "ENOENT") return null;
    if (errno(e) === "ELOOP") throw new KeyError("keyring_insecure", `keyring file ${filePath} is a symlink`);
    throw new KeyError("kek_unavailable", `cannot open keyring file ${filePath}`, { cause: e });
  }
  try {
    // Check the handle we read from, not the name, so a swap between check and read is moot.
    const s = await fh.stat();
    if (!s.isFile()) throw new KeyError("keyring_insecure", `keyring file ${filePath} is not a regular file`);
    if (isPosix && (s.mode & 0o077) !== 0) {
      throw new KeyError(
        "keyring_insecure",
        `keyring file ${filePath} is accessible by group or others (mode ${(s.mode & 0o777).toString(8)}); ` +
          "chmod 600 it and consider its keys exposed",
      );
    }
    const text = await fh.readFile("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KeyError("keyring_invalid", `keyring file ${filePath} is not valid JSON`);
    }
    const parsed = keyringFileSchema.safeParse(json);
    if (!parsed.success) {
      // Issue paths/messages only: never echo values, they are keys.
      const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      throw new KeyError("keyring_invalid", `keyring file ${filePath} is malformed: ${why}`);
    }
    return { file: parsed.data, stamp: stampOf(s) };
  } finally {
    await fh.close();
  }
}

export async function currentStamp(filePath: string): Promise<string | null> {
  try {
    return stampOf(await stat(filePath));
  } catch (e) {
    if (errno(e) === "ENOENT") return null;
    throw new KeyError("kek_unavailable", `cannot stat keyring file ${filePath}`, { cause: e });
  }
}

async function writeTemp(filePath: string, file: KeyringFile): Promise<string> {
  const temp = `${filePath}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await open(temp, "wx", 0o600);
  try {
    await fh.chmod(0o600); // independent of umask
    await fh.writeFile(`${JSON.stringify(file, null, 2)}\n`, "utf8");
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(temp).catch(() => {});
    throw e;
  }
  await fh.close();
  return temp;
}

async function syncDir(dir: string): Promise<void> {
  if (!isPosix) return;
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Publishes `file` only if no keyring exists yet. Returns false if another process won. */
export async function createKeyringFileExclusive(filePath: string, file: KeyringFile): Promise<boolean> {
  const temp = await writeTemp(filePath, file);
  try {
    await link(temp, filePath);
    await syncDir(path.dirname(filePath));
    return true;
  } catch (e) {
    if (errno(e) === "EEXIST") return false;
    throw new KeyError("kek_unavailable", `cannot create keyring file ${filePath}`, { cause: e });
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Replaces the keyring atomically. Call only while holding the lock. */
export async function replaceKeyringFile(filePath: string, file: KeyringFile): Promise<void> {
  const temp = await writeTemp(filePath, file);
  try {
    await rename(temp, filePath);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw new KeyError("kek_unavailable", `cannot replace keyring file ${filePath}`, { cause: e });
  }
  await syncDir(path.dirname(filePath));
}

/**
 * Exclusive lock across processes via O_EXCL on `<file>.lock`. A lock older than `staleMs`
 * (its holder crashed; mutations take milliseconds) is broken. Breaking is best-effort: the
 * guarantee assumes no mutation runs longer than `staleMs`.
 */
export async function withKeyringLock<T>(
  filePath: string,
  fn: () => Promise<T>,
  opts: { timeoutMs: number; staleMs: number },
): Promise<T> {
  const lockPath = `${filePath}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      const fh = await open(lockPath, "wx", 0o600);
      await fh.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      await fh.close();
      break;
    } catch (e) {
      if (errno(e) !== "EEXIST") {
        throw new KeyError("kek_unavailable", `cannot lock keyring file ${filePath}`, { cause: e });
      }
    }
    const held = await stat(lockPath).catch(() => null);
    if (held && Date.now() - held.mtimeMs > opts.staleMs) {
      await unlink(lockPath).catch(() => {});
      continue;
    }
    if (Date.now() - started > opts.timeoutMs) {
      throw new KeyError("keyring_locked", `keyring file ${filePath} is locked by ${lockPath}`);
    }
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => {});
  }
}
