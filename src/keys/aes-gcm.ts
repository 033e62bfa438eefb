import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KeyError } from "./key-error.ts";

/** AES-256-GCM with a fresh random 96-bit nonce and a full 128-bit tag, nothing else. */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export interface GcmSealed {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): GcmSealed {
  if (key.length !== KEY_BYTES) throw new RangeError("AES-256-GCM needs a 32-byte key");
  // Random nonces are safe here: every data key encrypts exactly one secret, and a KEK version
  // wraps far fewer than the 2^32 messages NIST SP 800-38D allows for random 96-bit nonces.
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const ciphertext = Buffer.concat([head, tail]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/** Returns the plaintext only if nonce, ciphertext, tag, key and aad all authenticate. */
export function gcmDecrypt(key: Buffer, sealed: GcmSealed, aad: Buffer, what: string): Buffer {
  if (key.length !== KEY_BYTES || sealed.nonce.length !== NONCE_BYTES || sealed.tag.length !== TAG_BYTES) {
    throw new KeyError("decryption_failed", `${what}: decryption failed`);
  }
  let head: Buffer | undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    head = decipher.update(sealed.ciphertext);
    // final() throws on a bad tag; only then is `head` known to be authentic.
    const tail = decipher.final();
    const plaintext = Buffer.concat([head, tail]);
    tail.fill(0);
    return plaintext;
  } catch (cause) {
    throw new KeyError("decryption_failed", `${what}: decryption failed`, { cause });
  } finally {
    head?.fill(0);
  }
}
