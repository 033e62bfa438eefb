import pkcs11js from "pkcs11js";
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./aes-gcm.ts";

/** PKCS#11 helpers shared by the session registry and the KEK provider: error mapping and attributes. */

const P = pkcs11js;
export type Pkcs11 = InstanceType<typeof pkcs11js.PKCS11>;
export type Handle = Buffer;

/** "CKR_PIN_INCORRECT" etc., or undefined for non-PKCS#11 errors. */
export function ckr(e: unknown): string | undefined {
  const m = e instanceof Error ? /^(CKR_[A-Z0-9_]+)/.exec(e.message) : null;
  return m?.[1];
}
export const reason = (e: unknown): string =>
  ckr(e) ?? (e instanceof Error ? e.message.split("\n")[0] : String(e)) ?? "unknown error";

export const handleToBigInt = (h: Handle): bigint =>
  h.length >= 8 ? h.readBigUInt64LE(0) : BigInt(h.readUInt32LE(0));

/** CKRs a module returns when GCM authentication fails or the ciphertext is malformed. */
export const DECRYPT_FAILURES = new Set([
  "CKR_ENCRYPTED_DATA_INVALID",
  "CKR_ENCRYPTED_DATA_LEN_RANGE",
  "CKR_DATA_INVALID",
  "CKR_DATA_LEN_RANGE",
  "CKR_AEAD_DECRYPT_FAILED",
  "CKR_SIGNATURE_INVALID",
  "CKR_MECHANISM_PARAM_INVALID",
  "CKR_ARGUMENTS_BAD",
  // SoftHSM2 2.6 reports a failed GCM tag check as a general error.
  "CKR_GENERAL_ERROR",
]);

/** The AES secret keys matching `template`. */
export function findKeys(p11: Pkcs11, session: Handle, template: pkcs11js.Template): Handle[] {
  p11.C_FindObjectsInit(session, [
    { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
    { type: P.CKA_KEY_TYPE, value: P.CKK_AES },
    ...template,
  ]);
  try {
    const out: Handle[] = [];
    for (;;) {
      const batch = p11.C_FindObjects(session, 64);
      out.push(...batch);
      if (batch.length < 64) return out;
    }
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

/** CKA_ID and CKA_LABEL as text; `safe` when a sensitive, non-extractable 256-bit token key. */
export function readKeyAttributes(p11: Pkcs11, session: Handle, handle: Handle) {
  const [id, label, len, extractable, sensitive, tok] = p11.C_GetAttributeValue(session, handle, [
    { type: P.CKA_ID },
    { type: P.CKA_LABEL },
    { type: P.CKA_VALUE_LEN },
    { type: P.CKA_EXTRACTABLE },
    { type: P.CKA_SENSITIVE },
    { type: P.CKA_TOKEN },
  ]);
  const ulong = (b?: Buffer) =>
    b && b.length > 0 ? Number(b.length >= 8 ? b.readBigUInt64LE(0) : b.readUInt32LE(0)) : 0;
  const bool = (b?: Buffer) => (b?.[0] ?? 0) !== 0;
  return {
    id: id?.value.toString("utf8") ?? "",
    label: label?.value.toString("utf8") ?? "",
    safe:
      ulong(len?.value) === KEY_BYTES &&
      !bool(extractable?.value) &&
      bool(sensitive?.value) &&
      bool(tok?.value),
  };
}

/** Generates a token AES-256 key usable only for encrypt/decrypt; CKA_ID and CKA_LABEL are `id`. */
export async function generateAesKey(p11: Pkcs11, session: Handle, id: Buffer): Promise<void> {
  await p11.C_GenerateKeyAsync(session, { mechanism: P.CKM_AES_KEY_GEN }, [
    { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
    { type: P.CKA_KEY_TYPE, value: P.CKK_AES },
    { type: P.CKA_VALUE_LEN, value: KEY_BYTES },
    { type: P.CKA_TOKEN, value: true },
    { type: P.CKA_PRIVATE, value: true },
    { type: P.CKA_SENSITIVE, value: true },
    { type: P.CKA_EXTRACTABLE, value: false },
    { type: P.CKA_ENCRYPT, value: true },
    { type: P.CKA_DECRYPT, value: true },
    { type: P.CKA_WRAP, value: false },
    { type: P.CKA_UNWRAP, value: false },
    { type: P.CKA_SIGN, value: false },
    { type: P.CKA_VERIFY, value: false },
    { type: P.CKA_DERIVE, value: false },
    { type: P.CKA_ID, value: id },
    { type: P.CKA_LABEL, value: id.toString("utf8") },
  ]);
}

/** CKM_AES_GCM with a 96-bit IV and a 128-bit tag. */
export function gcmMechanism(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
  const parameter: pkcs11js.GcmParams = {
    type: P.CK_PARAMS_GCM,
    iv,
    ivBits: NONCE_BYTES * 8,
    aad,
    tagBits: TAG_BYTES * 8,
  };
  return { mechanism: P.CKM_AES_GCM, parameter };
}
