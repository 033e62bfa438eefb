import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import pkcs11js from "pkcs11js";
import { isKeyError, KeyError } from "./key-error.ts";
import { ckr, type Handle, handleToBigInt, type Pkcs11, reason } from "./pkcs11-util.ts";

/**
 * Process-wide PKCS#11 registry: a module can be C_Initialize'd once per process, and login is
 * per token. One R/W session and one login per (module, token), shared by every provider opened
 * on that token; calls on it are serialised by a promise queue.
 */

const P = pkcs11js;

/** Which token to open: `tokenLabel` or `slot`. */
export interface Pkcs11TokenSelector {
  modulePath: string;
  tokenLabel?: string;
  slot?: number | bigint;
}

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export interface ModuleEntry {
  p11: Pkcs11;
  refs: number;
  /** False when something else in the process had already initialised the module. */
  ownsInit: boolean;
}

export interface TokenConn {
  key: string;
  module: ModuleEntry;
  modulePath: string;
  slot: Handle;
  session: Handle;
  queue: SerialQueue;
  pinMac: Buffer;
  refs: number;
  open: boolean;
}

const modules = new Map<string, ModuleEntry>();
const tokens = new Map<string, TokenConn>();
const PIN_MAC_KEY = randomBytes(32);
const pinMac = (pin: Buffer) => createHmac("sha256", PIN_MAC_KEY).update(pin).digest();

function acquireModule(modulePath: string): ModuleEntry {
  const existing = modules.get(modulePath);
  if (existing) {
    existing.refs++;
    return existing;
  }
  const p11 = new P.PKCS11();
  try {
    p11.load(modulePath);
  } catch (cause) {
    throw new KeyError(
      "kek_unavailable",
      `PKCS#11 module ${modulePath} could not be loaded: ${reason(cause)}`,
      { cause },
    );
  }
  let ownsInit = true;
  try {
    // OS locking: async calls run on libuv worker threads, possibly for several tokens at once.
    p11.C_Initialize({ flags: P.CKF_OS_LOCKING_OK });
  } catch (cause) {
    if (ckr(cause) === "CKR_CRYPTOKI_ALREADY_INITIALIZED") ownsInit = false;
    else {
      throw new KeyError(
        "kek_unavailable",
        `PKCS#11 module ${modulePath} failed to initialise: ${reason(cause)}`,
        { cause },
      );
    }
  }
  const entry: ModuleEntry = { p11, refs: 1, ownsInit };
  modules.set(modulePath, entry);
  return entry;
}

function releaseModule(modulePath: string, entry: ModuleEntry): void {
  if (--entry.refs > 0) return;
  modules.delete(modulePath);
  if (!entry.ownsInit) return;
  try {
    entry.p11.C_Finalize();
  } catch {
    // Nothing useful to do: the process is letting go of the module either way.
  }
}

function findSlot(p11: Pkcs11, where: string, opts: Pkcs11TokenSelector): Handle {
  const slots = p11.C_GetSlotList(true);
  if (opts.slot !== undefined) {
    const wanted = BigInt(opts.slot);
    const found = slots.find((s) => handleToBigInt(s) === wanted);
    if (!found) throw new KeyError("kek_unavailable", `PKCS#11 ${where}: no token in slot ${wanted}`);
    return found;
  }
  const label = opts.tokenLabel ?? "";
  const matches = slots.filter((s) => p11.C_GetTokenInfo(s).label.replace(/[ \0]+$/, "") === label);
  if (matches.length === 0) {
    throw new KeyError("kek_unavailable", `PKCS#11 ${where}: no token labelled "${label}"`);
  }
  if (matches.length > 1) {
    throw new KeyError(
      "kek_unavailable",
      `PKCS#11 ${where}: ${matches.length} tokens are labelled "${label}"; name the slot instead`,
    );
  }
  return matches[0] as Handle;
}

export function acquireToken(opts: Pkcs11TokenSelector, where: string, pin: Buffer): TokenConn {
  const module = acquireModule(opts.modulePath);
  try {
    const slot = findSlot(module.p11, where, opts);
    const key = `${opts.modulePath}\0${handleToBigInt(slot)}`;
    const mac = pinMac(pin);
    const existing = tokens.get(key);
    if (existing?.open) {
      // The token is already logged in for this process: C_Login would say USER_ALREADY_LOGGED_IN
      // whatever the PIN. Compare with the PIN that did log in, so a wrong PIN still fails.
      if (!timingSafeEqual(existing.pinMac, mac)) {
        throw new KeyError("kek_unavailable", `PKCS#11 ${where}: login failed (CKR_PIN_INCORRECT)`);
      }
      existing.refs++;
      releaseModule(opts.modulePath, module); // the connection already holds a module ref
      return existing;
    }
    const p11 = module.p11;
    let session: Handle;
    try {
      session = p11.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    } catch (cause) {
      throw new KeyError("kek_unavailable", `PKCS#11 ${where}: cannot open a session: ${reason(cause)}`, {
        cause,
      });
    }
    try {
      p11.C_Login(session, P.CKU_USER, pin.toString("utf8"));
    } catch (cause) {
      if (ckr(cause) !== "CKR_USER_ALREADY_LOGGED_IN") {
        try {
          p11.C_CloseSession(session);
        } catch {
          // best effort
        }
        throw new KeyError("kek_unavailable", `PKCS#11 ${where}: login failed (${reason(cause)})`, {
          cause,
        });
      }
    }
    try {
      if (!p11.C_GetMechanismList(slot).includes(P.CKM_AES_GCM)) {
        throw new KeyError("kek_unavailable", `PKCS#11 ${where}: the token does not support CKM_AES_GCM`);
      }
    } catch (e) {
      closeSession(p11, session);
      if (isKeyError(e)) throw e;
      throw new KeyError("kek_unavailable", `PKCS#11 ${where}: cannot list mechanisms: ${reason(e)}`, {
        cause: e,
      });
    }
    const conn: TokenConn = {
      key,
      module,
      modulePath: opts.modulePath,
      slot,
      session,
      queue: new SerialQueue(),
      pinMac: mac,
      refs: 1,
      open: true,
    };
    tokens.set(key, conn);
    return conn;
  } catch (e) {
    releaseModule(opts.modulePath, module);
    throw e;
  }
}

function closeSession(p11: Pkcs11, session: Handle): void {
  try {
    p11.C_Logout(session);
  } catch {
    // not logged in / already gone
  }
  try {
    p11.C_CloseSession(session);
  } catch {
    // already gone
  }
}

/** Runs inside the connection's queue, so nothing else uses the session meanwhile. */
export function releaseToken(conn: TokenConn): void {
  if (--conn.refs > 0) return;
  conn.open = false;
  tokens.delete(conn.key);
  closeSession(conn.module.p11, conn.session);
  releaseModule(conn.modulePath, conn.module);
}
