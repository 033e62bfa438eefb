import { randomBytes } from "node:crypto";
import path from "node:path";
import pkcs11js from "pkcs11js";
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./aes-gcm.ts";
import type { KekProvider, KekRef } from "./kek.ts";
import { isKeyError, KeyError } from "./key-error.ts";
import { acquireToken, releaseToken, type TokenConn } from "./pkcs11-session.ts";
import {
  ckr,
  DECRYPT_FAILURES,
  findKeys,
  gcmMechanism,
  generateAesKey,
  type Handle,
  type Pkcs11,
  readKeyAttributes,
  reason,
} from "./pkcs11-util.ts";

/**
 * KEK provider for any PKCS#11 HSM (tested against SoftHSM2) through `pkcs11js`. The KEKs are
 * AES-256 secret keys generated *inside* the token; wrap and unwrap are C_Encrypt / C_Decrypt
 * with CKM_AES_GCM in the token, so key material never reaches this process.
 *
 * Objects in the token, for `keyLabel` "auditorium-kek":
 *   - one AES-256 secret key per version: CKA_CLASS=SECRET_KEY, CKA_KEY_TYPE=AES,
 *     CKA_VALUE_LEN=32, CKA_TOKEN=true, CKA_PRIVATE=true, CKA_SENSITIVE=true,
 *     CKA_EXTRACTABLE=false, CKA_ENCRYPT/DECRYPT=true, no wrap/unwrap/derive/sign;
 *   - **version identity = CKA_ID**, the UTF-8 bytes of `auditorium-kek:v<n>`. It never changes;
 *   - **state = CKA_LABEL**: `auditorium-kek:v<n>` while active, `auditorium-kek:v<n>:retired`
 *     once retired. One attribute write (atomic in the token), visible in any HSM tool, and
 *     it keeps the key (retire stops use; destroying a key is a separate operator decision).
 * Nothing is cached: every operation looks the version up in the token, so rotations and
 * retirements made by other processes are seen at once (as the local keyring's `stat`).
 *
 * `keyId` in records is the key label (not the token label): a restored backup token with
 * another label still opens its records, and a different token with the same key label fails
 * authentication (`decryption_failed`) instead of returning garbage.
 *
 * Wrap: 12-byte IV from the CSPRNG, CK_GCM_PARAMS (PKCS#11 v2.40 layout: pIv, ulIvLen,
 * ulIvBits=96, pAAD, ulAADLen, ulTagBits=128); blob = iv(12) ‖ ciphertext(32) ‖ tag(16).
 *
 * Sessions: one R/W session and one login per (module, token), shared by every provider opened
 * on that token in the process (PKCS#11 login state is per application and token anyway).
 * Calls on that session are serialised by a promise queue — operation state (EncryptInit →
 * Encrypt, FindObjectsInit → Final) lives in the session and not every module is thread-safe.
 */

const P = pkcs11js;

export const PKCS11_PROVIDER = "pkcs11";
/** Exactly one wrapped 256-bit data key. */
const WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
const KEY_LABEL_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface OpenPkcs11KekOptions {
  /** Path of the PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  modulePath: string;
  /** Token label (blank padding ignored). Give this or `slot`, not both. */
  tokenLabel?: string;
  /** Slot id as reported by the module's C_GetSlotList. */
  slot?: number | bigint;
  /**
   * User PIN, from the environment. Never logged, never in an error. pkcs11js only accepts a
   * string, so a Buffer is converted at the C_Login call; the provider keeps no copy (only an
   * HMAC under a per-process random key, to check later opens of the same token). The caller
   * may zero its buffer once this resolves.
   */
  pin: Buffer | string;
  /** Base label of the KEK versions, `[A-Za-z0-9._-]{1,64}`; stored in records as keyId. */
  keyLabel: string;
  /** Refuse to generate v1 when the token holds no version (use once records exist). */
  mustExist?: boolean;
}

export interface Pkcs11KeyVersionInfo {
  keyId: string;
  keyVersion: number;
  /** CKA_LABEL in the token (`<keyLabel>:v<n>`, `…:retired` once retired). */
  label: string;
  retired: boolean;
  current: boolean;
}

export interface Pkcs11RetireOptions {
  /** Whether any stored record still uses `ref`. Required; see LocalKeyring's RetireOptions. */
  isInUse: (ref: KekRef) => Promise<boolean>;
}

export interface Pkcs11Kek extends KekProvider {
  readonly provider: "pkcs11";
  readonly keyLabel: string;
  /** "token <label>" or "slot <id>", for messages. */
  readonly token: string;
  readonly modulePath: string;
  /** Versions, oldest first. */
  versions(): Promise<Pkcs11KeyVersionInfo[]>;
  /** Generates the next version in the token (C_GenerateKey); new wraps use it at once. */
  rotate(): Promise<Pkcs11KeyVersionInfo>;
  /** Marks a non-current, unused version retired: it then neither wraps nor unwraps. Idempotent. */
  retire(keyVersion: number, opts: Pkcs11RetireOptions): Promise<Pkcs11KeyVersionInfo>;
  /** Waits for queued operations; logs out, closes the session, finalises when last. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------

interface Found {
  version: number;
  handle: Handle;
  label: string;
  retired: boolean;
}

function checkOptions(opts: OpenPkcs11KekOptions): void {
  if (typeof opts?.modulePath !== "string" || opts.modulePath.length === 0) {
    throw new TypeError("pkcs11 KEK provider: modulePath is required");
  }
  if (!path.isAbsolute(opts.modulePath)) {
    throw new TypeError(`pkcs11 KEK provider: modulePath must be absolute, got ${opts.modulePath}`);
  }
  const hasLabel = typeof opts.tokenLabel === "string" && opts.tokenLabel.length > 0;
  if (hasLabel === (opts.slot !== undefined)) {
    throw new TypeError("pkcs11 KEK provider: give exactly one of tokenLabel and slot");
  }
  if (!(typeof opts.pin === "string" || Buffer.isBuffer(opts.pin)) || opts.pin.length === 0) {
    throw new TypeError("pkcs11 KEK provider: pin is required (from the environment)");
  }
  if (typeof opts.keyLabel !== "string" || !KEY_LABEL_RE.test(opts.keyLabel)) {
    throw new TypeError("pkcs11 KEK provider: keyLabel must match [A-Za-z0-9._-]{1,64}");
  }
}

export async function openPkcs11Kek(opts: OpenPkcs11KekOptions): Promise<Pkcs11Kek> {
  checkOptions(opts);
  const { modulePath, keyLabel } = opts;
  const token = opts.slot !== undefined ? `slot ${BigInt(opts.slot)}` : `token "${opts.tokenLabel}"`;
  const where = `${token} (module ${modulePath})`;
  const what = `PKCS#11 key "${keyLabel}" on ${where}`;

  const pin = Buffer.isBuffer(opts.pin) ? Buffer.from(opts.pin) : Buffer.from(opts.pin, "utf8");
  let conn: TokenConn | null;
  try {
    conn = acquireToken(opts, where, pin);
  } finally {
    pin.fill(0);
  }

  const idOf = (v: number) => Buffer.from(`${keyLabel}:v${v}`, "utf8");
  const idRe = new RegExp(`^${keyLabel.replace(/[.]/g, "\\.")}:v([1-9][0-9]{0,9})$`);

  const live = (): TokenConn => {
    if (!conn?.open) throw new KeyError("kek_unavailable", `${what}: provider is closed`);
    return conn;
  };
  /** Serialised on the session; PKCS#11 failures become kek_unavailable naming the key. */
  const onSession = async <T>(
    op: string,
    fn: (p11: Pkcs11, session: Handle) => T | Promise<T>,
  ): Promise<T> => {
    // async: a closed provider rejects rather than throwing synchronously. The body runs up to
    // queue.run synchronously, so calls are queued in the order they were made.
    const c = live();
    return c.queue.run(async () => {
      // Operations queued before close() still run; the connection closes after them.
      if (!c.open) throw new KeyError("kek_unavailable", `${what}: provider is closed`);
      try {
        return await fn(c.module.p11, c.session);
      } catch (cause) {
        if (isKeyError(cause)) throw cause;
        throw new KeyError("kek_unavailable", `${what}: ${op} failed (${reason(cause)})`, { cause });
      }
    });
  };

  /** Every version of keyLabel in the token, oldest first; duplicates of a version kept. */
  const listAll = (p11: Pkcs11, session: Handle): Found[] => {
    const out: Found[] = [];
    for (const handle of findKeys(p11, session, [{ type: P.CKA_TOKEN, value: true }])) {
      const a = readKeyAttributes(p11, session, handle);
      const m = idRe.exec(a.id);
      if (!m) continue;
      const version = Number(m[1]);
      out.push({ version, handle, label: a.label, retired: a.label === `${a.id}:retired` });
    }
    return out.sort((x, y) => x.version - y.version);
  };

  const currentOf = (all: Found[]): number | undefined => {
    const active = all.filter((f) => !f.retired).map((f) => f.version);
    return active.length ? Math.max(...active) : undefined;
  };

  /** The handles of ref's version (several only after a concurrent cross-process rotation). */
  const lookup = (p11: Pkcs11, session: Handle, ref: KekRef): Found[] => {
    if (ref.keyId !== keyLabel) {
      throw new KeyError("unknown_key", `key "${ref.keyId}" is not ${what}`);
    }
    if (!Number.isSafeInteger(ref.keyVersion) || ref.keyVersion < 1) {
      throw new KeyError("unknown_key", `${what} has no version ${ref.keyVersion}`);
    }
    const id = idOf(ref.keyVersion);
    const found: Found[] = [];
    for (const handle of findKeys(p11, session, [
      { type: P.CKA_TOKEN, value: true },
      { type: P.CKA_ID, value: id },
    ])) {
      const a = readKeyAttributes(p11, session, handle);
      if (!a.safe) {
        throw new KeyError(
          "kek_unavailable",
          `${what} version ${ref.keyVersion} is not a sensitive, non-extractable AES-256 token key; refusing it`,
        );
      }
      found.push({ version: ref.keyVersion, handle, label: a.label, retired: a.label === `${a.id}:retired` });
    }
    if (found.length === 0) throw new KeyError("unknown_key", `${what} has no version ${ref.keyVersion}`);
    if (found.some((f) => f.retired)) {
      throw new KeyError("key_retired", `${what} version ${ref.keyVersion} is retired`);
    }
    return found;
  };

  const info = (all: Found[], version: number): Pkcs11KeyVersionInfo => {
    const f = all.find((x) => x.version === version);
    if (!f) throw new KeyError("unknown_key", `${what} has no version ${version}`);
    return {
      keyId: keyLabel,
      keyVersion: version,
      label: f.label,
      retired: f.retired,
      current: version === currentOf(all),
    };
  };

  const generate = (p11: Pkcs11, session: Handle, version: number) =>
    generateAesKey(p11, session, idOf(version));

  // First open: make v1 unless told the key must already exist.
  try {
    await onSession("list versions", async (p11, session) => {
      if (listAll(p11, session).length > 0) return;
      if (opts.mustExist) {
        throw new KeyError("unknown_key", `${what} does not exist (no version in the token)`);
      }
      await generate(p11, session, 1);
    });
  } catch (e) {
    const c = conn;
    conn = null;
    if (c) await c.queue.run(() => releaseToken(c));
    throw e;
  }

  return {
    provider: "pkcs11",
    keyLabel,
    token,
    modulePath,

    current() {
      return onSession("choose the current version", (p11, session) => {
        const v = currentOf(listAll(p11, session));
        if (v === undefined) throw new KeyError("unknown_key", `${what} has no active version`);
        return { keyId: keyLabel, keyVersion: v };
      });
    },

    wrap(ref, dataKey, aad) {
      if (dataKey.length !== KEY_BYTES) return Promise.reject(new RangeError("data key must be 32 bytes"));
      return onSession("wrap", async (p11, session) => {
        const found = lookup(p11, session, ref);
        if (found.length > 1) {
          throw new KeyError(
            "kek_unavailable",
            `${what} has ${found.length} keys for version ${ref.keyVersion} (concurrent rotation); rotate again`,
          );
        }
        const iv = randomBytes(NONCE_BYTES);
        const out = Buffer.alloc(KEY_BYTES + TAG_BYTES);
        p11.C_EncryptInit(session, gcmMechanism(iv, aad), (found[0] as Found).handle);
        const sealed = await p11.C_EncryptAsync(session, dataKey, out);
        if (sealed.length !== KEY_BYTES + TAG_BYTES) {
          throw new KeyError("kek_unavailable", `${what}: unexpected AES-GCM output length ${sealed.length}`);
        }
        return Buffer.concat([iv, sealed]);
      });
    },

    unwrap(ref, wrapped, aad) {
      return onSession("unwrap", async (p11, session) => {
        const found = lookup(p11, session, ref);
        if (wrapped.length !== WRAPPED_BYTES) {
          throw new KeyError("decryption_failed", "wrapped key: decryption failed");
        }
        const iv = Buffer.from(wrapped.subarray(0, NONCE_BYTES));
        const body = wrapped.subarray(NONCE_BYTES);
        let lastCause: unknown;
        // Several keys only after a concurrent rotation; GCM authentication picks the right one.
        for (const { handle } of found) {
          const out = Buffer.alloc(KEY_BYTES + TAG_BYTES);
          try {
            p11.C_DecryptInit(session, gcmMechanism(iv, aad), handle);
            const plain = await p11.C_DecryptAsync(session, body, out);
            if (plain.length === KEY_BYTES) return Buffer.from(plain);
            lastCause = new Error(`unexpected plaintext length ${plain.length}`);
          } catch (cause) {
            const code = ckr(cause);
            if (code === undefined || !DECRYPT_FAILURES.has(code)) throw cause;
            lastCause = cause;
          } finally {
            out.fill(0);
          }
        }
        throw new KeyError("decryption_failed", "wrapped key: decryption failed", { cause: lastCause });
      });
    },

    versions() {
      return onSession("list versions", (p11, session) => {
        const all = listAll(p11, session);
        return [...new Set(all.map((f) => f.version))].map((v) => info(all, v));
      });
    },

    rotate() {
      return onSession("rotate", async (p11, session) => {
        const before = listAll(p11, session);
        const next = Math.max(0, ...before.map((f) => f.version)) + 1;
        await generate(p11, session, next);
        const after = listAll(p11, session);
        if (after.filter((f) => f.version === next).length > 1) {
          throw new KeyError(
            "kek_unavailable",
            `${what}: another process created version ${next} at the same time; rotate again`,
          );
        }
        return info(after, next);
      });
    },

    async retire(keyVersion, { isInUse }) {
      const check = (all: Found[]): Found[] | null => {
        const mine = all.filter((f) => f.version === keyVersion);
        if (mine.length === 0) throw new KeyError("unknown_key", `${what} has no version ${keyVersion}`);
        if (mine.every((f) => f.retired)) return null;
        if (keyVersion === currentOf(all)) {
          throw new KeyError("version_in_use", `version ${keyVersion} of ${what} is current; rotate first`);
        }
        return mine;
      };
      const first = await onSession("retire", (p11, session) => check(listAll(p11, session)) !== null);
      // isInUse runs outside the session queue: it may itself open records through this provider.
      if (first && (await isInUse({ keyId: keyLabel, keyVersion }))) {
        throw new KeyError(
          "version_in_use",
          `records still use version ${keyVersion} of ${what}; rewrap them first`,
        );
      }
      return onSession("retire", (p11, session) => {
        const mine = check(listAll(p11, session));
        for (const f of mine ?? []) {
          if (f.retired) continue;
          p11.C_SetAttributeValue(session, f.handle, [
            { type: P.CKA_LABEL, value: `${keyLabel}:v${keyVersion}:retired` },
          ]);
        }
        return info(listAll(p11, session), keyVersion);
      });
    },

    async close() {
      const c = conn;
      if (!c?.open) return;
      conn = null;
      await c.queue.run(() => releaseToken(c));
    },
  };
}
