import { AppError } from "../lib/errors.ts";

/**
 * Every failure in `src/keys/` surfaces as a KeyError with a machine code. Crypto exceptions
 * from node:crypto are never thrown raw: callers cannot tell "wrong key" from "tampered
 * record" from "wrong tenant", and must not try — all of those are `decryption_failed`.
 * Messages never contain key material or plaintext.
 */
export type KeyErrorCode =
  /** Authentication failed: tampered bytes, another record's context, or the wrong key. */
  | "decryption_failed"
  /** The record names a KEK provider, key id or key version this process does not hold. */
  | "unknown_key"
  /** The KEK version exists but is retired: it neither wraps nor unwraps. */
  | "key_retired"
  /** The stored record does not match the record schema. */
  | "malformed_record"
  /** organizationId / configurationId / field missing or empty. */
  | "invalid_context"
  /** The keyring file is absent and the caller required it to exist. */
  | "keyring_missing"
  /** The keyring file is not valid JSON or does not match the keyring schema. */
  | "keyring_invalid"
  /** The keyring file or its folder is readable or writable by group/other, or not a file. */
  | "keyring_insecure"
  /** Another process holds the keyring's mutation lock for too long. */
  | "keyring_locked"
  /** Retiring a version was refused (still current, or records still use it). */
  | "version_in_use"
  /** The KEK provider failed for a reason other than authentication (I/O, network, HSM). */
  | "kek_unavailable";

const RETRYABLE: ReadonlySet<KeyErrorCode> = new Set(["keyring_locked", "kek_unavailable"]);

export class KeyError extends AppError {
  declare readonly code: KeyErrorCode;

  constructor(code: KeyErrorCode, message: string, options: { cause?: unknown } = {}) {
    // 500/503: key failures are never the API client's fault, and never say more than the code.
    super(RETRYABLE.has(code) ? 503 : 500, code, message, {
      retryable: RETRYABLE.has(code),
      cause: options.cause,
    });
    this.name = "KeyError";
  }
}

export const isKeyError = (e: unknown): e is KeyError => e instanceof KeyError;
