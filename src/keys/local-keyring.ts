import { randomBytes } from "node:crypto";
import path from "node:path";
import { gcmDecrypt, gcmEncrypt, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./aes-gcm.ts";
import type { KekProvider, KekRef } from "./kek.ts";
import { KeyError } from "./key-error.ts";
import {
  createKeyringFileExclusive,
  currentStamp,
  ensureFolder,
  type KeyringFile,
  type LoadedKeyring,
  newKeyringFile,
  readKeyringFile,
  replaceKeyringFile,
  withKeyringLock,
} from "./keyring-file.ts";

/**
 * The embedded KEK provider: a keyring file in the data folder holding versioned random
 * 256-bit keys. There is no built-in key — a missing keyring is generated from the CSPRNG, or
 * refused when `mustExist` is set (use that once records exist: a silently regenerated
 * keyring would make every stored secret undecryptable).
 *
 * Wrap = AES-256-GCM under the version named by the ref; blob = nonce(12) ‖ ciphertext ‖ tag(16).
 */
export const KEYRING_FILE_NAME = "keyring.json";

export interface KeyVersionInfo {
  keyId: string;
  keyVersion: number;
  createdAt: string;
  retiredAt?: string;
  current: boolean;
}

export interface RetireOptions {
  /**
   * Whether any stored record still uses `ref`. Required: retiring a version that records
   * still use would make them undecryptable. Evaluated under the keyring lock.
   */
  isInUse: (ref: KekRef) => Promise<boolean>;
}

export interface LocalKeyring extends KekProvider {
  readonly provider: "local";
  readonly keyringId: string;
  /** Absolute path of the keyring file (for messages and operators). */
  readonly path: string;
  /** Versions without key material, oldest first. */
  versions(): Promise<KeyVersionInfo[]>;
  /** Adds a version; new wraps use it at once (in other processes after their next stat). */
  rotate(): Promise<KeyVersionInfo>;
  /** Marks a non-current version retired: it then neither wraps nor unwraps. Idempotent. */
  retire(keyVersion: number, opts: RetireOptions): Promise<KeyVersionInfo>;
  /** Zeroes the in-memory keys; every later call fails. */
  close(): void;
}

export interface OpenLocalKeyringOptions {
  /** Folder holding the keyring (created 0700 if missing), e.g. `<dataDir>/keys`. */
  dir: string;
  /** Refuse to create a keyring: a missing file is KeyError `keyring_missing`. */
  mustExist?: boolean;
  clock?: () => Date;
  lock?: { timeoutMs?: number; staleMs?: number };
}

interface State {
  file: KeyringFile;
  stamp: string;
  keys: Map<number, Buffer>;
}

const toState = ({ file, stamp }: LoadedKeyring): State => ({
  file,
  stamp,
  keys: new Map(file.versions.map((v) => [v.version, Buffer.from(v.key, "base64")])),
});

const currentVersion = (file: KeyringFile): number =>
  Math.max(...file.versions.filter((v) => v.retiredAt === undefined).map((v) => v.version));

export async function openLocalKeyring(opts: OpenLocalKeyringOptions): Promise<LocalKeyring> {
  const dir = path.resolve(opts.dir);
  const filePath = path.join(dir, KEYRING_FILE_NAME);
  const clock = opts.clock ?? (() => new Date());
  const lockOpts = { timeoutMs: opts.lock?.timeoutMs ?? 5_000, staleMs: opts.lock?.staleMs ?? 30_000 };

  await ensureFolder(dir, filePath, !opts.mustExist);
  let loaded = await readKeyringFile(filePath);
  if (!loaded) {
    if (opts.mustExist) throw new KeyError("keyring_missing", `keyring file ${filePath} does not exist`);
    // Whether we won or lost the race to create it, use what is on disk.
    await createKeyringFileExclusive(filePath, newKeyringFile(clock()));
    loaded = await readKeyringFile(filePath);
    if (!loaded) throw new KeyError("keyring_missing", `keyring file ${filePath} vanished after creation`);
  }

  let state: State | null = toState(loaded);
  const keyringId = loaded.file.keyringId;

  const live = (): State => {
    if (!state) throw new KeyError("kek_unavailable", `keyring ${filePath} is closed`);
    return state;
  };
  const install = (next: LoadedKeyring) => {
    if (next.file.keyringId !== keyringId) {
      throw new KeyError("keyring_invalid", `keyring file ${filePath} was replaced by another keyring`);
    }
    const old = live();
    state = toState(next);
    // Safe to zero: keys are only used synchronously right after lookup, never across an await.
    for (const k of old.keys.values()) k.fill(0);
  };
  /** Picks up rotations/retirements made by other processes (the file is replaced by rename). */
  const refresh = async (force = false) => {
    const s = live();
    const stamp = await currentStamp(filePath);
    if (stamp === null) throw new KeyError("keyring_missing", `keyring file ${filePath} does not exist`);
    if (!force && stamp === s.stamp) return;
    const next = await readKeyringFile(filePath);
    if (!next) throw new KeyError("keyring_missing", `keyring file ${filePath} does not exist`);
    install(next);
  };
  /**
   * The key for ref; throws unknown_key / key_retired. Synchronous on purpose: callers refresh
   * first, then use the returned buffer before any await (install() zeroes replaced keys).
   */
  const keyFor = (ref: KekRef): Buffer => {
    if (ref.keyId !== keyringId) {
      throw new KeyError("unknown_key", `key ${ref.keyId} is not in local keyring ${keyringId}`);
    }
    const v = live().file.versions.find((x) => x.version === ref.keyVersion);
    const key = live().keys.get(ref.keyVersion);
    if (!v || !key) {
      throw new KeyError("unknown_key", `local keyring ${keyringId} has no version ${ref.keyVersion}`);
    }
    if (v.retiredAt !== undefined) {
      throw new KeyError("key_retired", `local keyring ${keyringId} version ${ref.keyVersion} is retired`);
    }
    return key;
  };
  const info = (file: KeyringFile, version: number): KeyVersionInfo => {
    const v = file.versions.find((x) => x.version === version);
    if (!v) throw new KeyError("unknown_key", `local keyring ${keyringId} has no version ${version}`);
    return {
      keyId: keyringId,
      keyVersion: v.version,
      createdAt: v.createdAt,
      ...(v.retiredAt === undefined ? {} : { retiredAt: v.retiredAt }),
      current: v.version === currentVersion(file),
    };
  };
  /** Read-modify-write under the cross-process lock, always starting from the file on disk. */
  const mutate = (fn: (file: KeyringFile) => Promise<KeyringFile | null>) =>
    withKeyringLock(
      filePath,
      async () => {
        const disk = await readKeyringFile(filePath);
        if (!disk) throw new KeyError("keyring_missing", `keyring file ${filePath} does not exist`);
        install(disk);
        const next = await fn(structuredClone(disk.file));
        if (next) {
          await replaceKeyringFile(filePath, next);
          await refresh(true);
        }
        return live().file;
      },
      lockOpts,
    );

  return {
    provider: "local",
    keyringId,
    path: filePath,

    async current() {
      await refresh();
      return { keyId: keyringId, keyVersion: currentVersion(live().file) };
    },

    async wrap(ref, dataKey, aad) {
      if (dataKey.length !== KEY_BYTES) throw new RangeError("data key must be 32 bytes");
      await refresh();
      const { nonce, ciphertext, tag } = gcmEncrypt(keyFor(ref), dataKey, aad);
      const blob = Buffer.concat([nonce, ciphertext, tag]);
      ciphertext.fill(0);
      return blob;
    },

    async unwrap(ref, wrapped, aad) {
      await refresh();
      const key = keyFor(ref);
      if (wrapped.length < NONCE_BYTES + TAG_BYTES) {
        throw new KeyError("decryption_failed", "wrapped key: decryption failed");
      }
      const sealed = {
        nonce: wrapped.subarray(0, NONCE_BYTES),
        ciphertext: wrapped.subarray(NONCE_BYTES, wrapped.length - TAG_BYTES),
        tag: wrapped.subarray(wrapped.length - TAG_BYTES),
      };
      return gcmDecrypt(key, sealed, aad, "wrapped key");
    },

    async versions() {
      await refresh();
      const file = live().file;
      return [...file.versions].sort((a, b) => a.version - b.version).map((v) => info(file, v.version));
    },

    async rotate() {
      let added = 0;
      const file = await mutate(async (f) => {
        added = Math.max(...f.versions.map((v) => v.version)) + 1;
        const now = clock().toISOString();
        f.versions.push({ version: added, key: randomBytes(KEY_BYTES).toString("base64"), createdAt: now });
        return f;
      });
      return info(file, added);
    },

    async retire(keyVersion, { isInUse }) {
      const file = await mutate(async (f) => {
        const v = f.versions.find((x) => x.version === keyVersion);
        if (!v) throw new KeyError("unknown_key", `local keyring ${keyringId} has no version ${keyVersion}`);
        if (v.retiredAt !== undefined) return null;
        if (keyVersion === currentVersion(f)) {
          throw new KeyError(
            "version_in_use",
            `version ${keyVersion} of local keyring ${keyringId} is current; rotate first`,
          );
        }
        if (await isInUse({ keyId: keyringId, keyVersion })) {
          throw new KeyError(
            "version_in_use",
            `records still use version ${keyVersion} of local keyring ${keyringId}; rewrap them first`,
          );
        }
        v.retiredAt = clock().toISOString();
        return f;
      });
      return info(file, keyVersion);
    },

    close() {
      if (!state) return;
      for (const k of state.keys.values()) k.fill(0);
      state = null;
    },
  };
}
