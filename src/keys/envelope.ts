import { randomBytes } from "node:crypto";
import { z } from "zod";
import { gcmDecrypt, gcmEncrypt, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./aes-gcm.ts";
import type { DataKeyCache } from "./data-key-cache.ts";
import type { KekProvider, KekRef } from "./kek.ts";
import { isKeyError, KeyError } from "./key-error.ts";

/**
 * Envelope encryption of one secret field. Each seal draws a fresh 256-bit data key, encrypts
 * the plaintext with AES-256-GCM, and has the KEK provider wrap the data key. Both operations
 * authenticate the record's context, so a record copied to another organization,
 * configuration or field does not open; the wrap additionally authenticates the KEK
 * {provider, keyId, keyVersion} written beside it.
 */
export const ENVELOPE_FORMAT = 1;

export interface SecretContext {
  organizationId: string;
  configurationId: string;
  /** Which secret of the configuration, e.g. "accessTokenSecret". */
  field: string;
}

const canonicalBase64 = (bytes?: number) =>
  z.string().refine(
    (s) => {
      const b = Buffer.from(s, "base64");
      return b.toString("base64") === s && (bytes === undefined || b.length === bytes);
    },
    `must be canonical base64${bytes === undefined ? "" : ` of ${bytes} bytes`}`,
  );

/** The stored form: self-describing, JSON-serialisable, stable across KEK providers. */
export const sealedRecordSchema = z.strictObject({
  format: z.literal(ENVELOPE_FORMAT),
  kekProvider: z.string().min(1).max(64),
  keyId: z.string().min(1).max(1024),
  keyVersion: z
    .int()
    .min(1)
    .max(2 ** 31 - 1),
  wrappedKey: canonicalBase64().refine((s) => s.length > 0, "must not be empty"),
  nonce: canonicalBase64(NONCE_BYTES),
  ciphertext: canonicalBase64(),
  tag: canonicalBase64(TAG_BYTES),
});
export type SealedRecord = z.infer<typeof sealedRecordSchema>;

export interface Envelope {
  seal(plaintext: Buffer, context: SecretContext): Promise<SealedRecord>;
  /** The caller owns the returned buffer and should zero it once the secret has been used. */
  open(record: unknown, context: SecretContext): Promise<Buffer>;
  /**
   * The same secret under the current KEK: the data key is unwrapped and wrapped again; the
   * secret itself is never decrypted. Null when the record is already under the current KEK.
   */
  rewrap(record: unknown, context: SecretContext): Promise<SealedRecord | null>;
  /** Where new records go: the writing provider's current key. */
  current(): Promise<{ kekProvider: string } & KekRef>;
}

export interface EnvelopeOptions {
  /** The provider new data keys are wrapped by (and rewrap moves records to). */
  kek: KekProvider;
  /** Providers that may still hold older records (e.g. the local keyring after moving to an HSM). */
  readers?: KekProvider[];
  /** Unwrapped data keys kept for a bounded time and number of uses, per organization; off by default. */
  cache?: DataKeyCache;
}

/**
 * Unambiguous encoding: a domain label, then each part as a 4-byte big-endian byte length
 * followed by its UTF-8 bytes. No two distinct tuples encode to the same bytes.
 */
function encodeAad(label: string, parts: readonly string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of [label, ...parts]) {
    const bytes = Buffer.from(part, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    chunks.push(len, bytes);
  }
  return Buffer.concat(chunks);
}

const contextParts = (c: SecretContext) => [
  String(ENVELOPE_FORMAT),
  c.organizationId,
  c.configurationId,
  c.field,
];

export const dataAad = (c: SecretContext): Buffer => encodeAad("auditorium.keys.data", contextParts(c));

export const wrapAad = (c: SecretContext, provider: string, ref: KekRef): Buffer =>
  encodeAad("auditorium.keys.wrap", [...contextParts(c), provider, ref.keyId, String(ref.keyVersion)]);

function checkContext(c: SecretContext): void {
  for (const name of ["organizationId", "configurationId", "field"] as const) {
    const v: unknown = c?.[name];
    if (typeof v !== "string" || v.length === 0) {
      throw new KeyError("invalid_context", `secret context needs a non-empty ${name}`);
    }
  }
}

/** KEK failures that are not KeyErrors (I/O, network, HSM) are wrapped, never passed raw. */
async function viaKek<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isKeyError(e)) throw e;
    throw new KeyError("kek_unavailable", `KEK provider failed to ${what}`, { cause: e });
  }
}

export function createEnvelope({ kek, readers = [], cache }: EnvelopeOptions): Envelope {
  const providerFor = (name: string): KekProvider => {
    const found = [kek, ...readers].find((p) => p.provider === name);
    if (!found)
      throw new KeyError(
        "unknown_key",
        `record was sealed by KEK provider "${name}", which this process is not configured for`,
      );
    return found;
  };

  function parse(input: unknown): SealedRecord {
    const parsed = sealedRecordSchema.safeParse(input);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      throw new KeyError("malformed_record", `sealed record is malformed: ${why}`);
    }
    return parsed.data;
  }

  /** The record's data key; the caller zeroes it (a cached key is a copy). */
  async function unwrapDataKey(record: SealedRecord, context: SecretContext): Promise<Buffer> {
    const provider = providerFor(record.kekProvider);
    const ref: KekRef = { keyId: record.keyId, keyVersion: record.keyVersion };
    const cacheKey = `${record.kekProvider}\u0000${record.keyId}\u0000${record.keyVersion}\u0000${record.wrappedKey}`;
    const cached = cache?.take(context.organizationId, cacheKey);
    if (cached) return cached;
    const wrapped = Buffer.from(record.wrappedKey, "base64");
    const dataKey = await viaKek("unwrap", () =>
      provider.unwrap(ref, wrapped, wrapAad(context, provider.provider, ref)),
    );
    if (dataKey.length !== KEY_BYTES) {
      dataKey.fill(0);
      throw new KeyError("decryption_failed", "wrapped key: decryption failed");
    }
    cache?.put(context.organizationId, cacheKey, dataKey);
    return dataKey;
  }

  async function wrapUnderCurrent(dataKey: Buffer, context: SecretContext) {
    const ref = await viaKek("choose a key", () => kek.current());
    const wrapped = await viaKek("wrap", () => kek.wrap(ref, dataKey, wrapAad(context, kek.provider, ref)));
    return {
      kekProvider: kek.provider,
      keyId: ref.keyId,
      keyVersion: ref.keyVersion,
      wrappedKey: wrapped.toString("base64"),
    };
  }

  return {
    async current() {
      const ref = await viaKek("choose a key", () => kek.current());
      return { kekProvider: kek.provider, ...ref };
    },

    async seal(plaintext, context) {
      checkContext(context);
      const dataKey = randomBytes(KEY_BYTES);
      try {
        const sealed = gcmEncrypt(dataKey, plaintext, dataAad(context));
        return {
          format: ENVELOPE_FORMAT,
          ...(await wrapUnderCurrent(dataKey, context)),
          nonce: sealed.nonce.toString("base64"),
          ciphertext: sealed.ciphertext.toString("base64"),
          tag: sealed.tag.toString("base64"),
        };
      } finally {
        dataKey.fill(0);
      }
    },

    async open(input, context) {
      checkContext(context);
      const record = parse(input);
      const dataKey = await unwrapDataKey(record, context);
      try {
        const sealed = {
          nonce: Buffer.from(record.nonce, "base64"),
          ciphertext: Buffer.from(record.ciphertext, "base64"),
          tag: Buffer.from(record.tag, "base64"),
        };
        return gcmDecrypt(dataKey, sealed, dataAad(context), "secret");
      } finally {
        dataKey.fill(0);
      }
    },

    async rewrap(input, context) {
      checkContext(context);
      const record = parse(input);
      const target = await viaKek("choose a key", () => kek.current());
      if (
        record.kekProvider === kek.provider &&
        record.keyId === target.keyId &&
        record.keyVersion === target.keyVersion
      ) {
        return null;
      }
      const dataKey = await unwrapDataKey(record, context);
      try {
        // Prove the data key opens this record before moving it: a record whose ciphertext was
        // tampered with must not be laundered under a new key.
        gcmDecrypt(
          dataKey,
          {
            nonce: Buffer.from(record.nonce, "base64"),
            ciphertext: Buffer.from(record.ciphertext, "base64"),
            tag: Buffer.from(record.tag, "base64"),
          },
          dataAad(context),
          "secret",
        ).fill(0);
        return { ...record, ...(await wrapUnderCurrent(dataKey, context)) };
      } finally {
        dataKey.fill(0);
      }
    },
  };
}
