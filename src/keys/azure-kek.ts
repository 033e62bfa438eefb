import { randomBytes } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import { CryptographyClient, KeyClient, type KeyClientOptions } from "@azure/keyvault-keys";
import { gcmDecrypt, gcmEncrypt, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./aes-gcm.ts";
import type { KekProvider, KekRef } from "./kek.ts";
import { isKeyError, KeyError } from "./key-error.ts";

/**
 * KEK provider backed by an RSA key in Azure Key Vault (`@azure/keyvault-keys`, authenticated
 * by any `@azure/identity` TokenCredential).
 *
 * Record mapping (see docs/keys-azure.md):
 * - `keyId` = the FULL, versioned Azure key id, canonicalised as
 *   `<vault origin>/keys/<keyName>/<version>` (e.g. `https://v.vault.azure.net/keys/kek/0f3c…`).
 *   Unwrap always uses exactly this id, so records under an older Azure version keep opening
 *   after a rotation in Azure, and a wrong or absent version fails (`unknown_key`).
 * - `keyVersion` = always {@link AZURE_KEK_KEY_VERSION} (1). Azure versions are opaque strings,
 *   not integers, and already live in `keyId`; `(keyId, 1)` identifies one Azure key version.
 *   Any other keyVersion is refused as `unknown_key`. Both fields are in the wrap AAD.
 *
 * RSA-OAEP-256 has no AAD, so a wrap is: draw a one-time 256-bit key K; wrap K remotely with
 * `wrapKey("RSA-OAEP-256")` under the versioned key id; AES-256-GCM the data key under K locally,
 * authenticating the caller's `aad` and the remote blob; zero K. Blob layout:
 *
 *   0x01 ‖ u16be L ‖ RSA-OAEP-256(K) (L bytes) ‖ nonce (12) ‖ GCM(dataKey) (32) ‖ tag (16)
 *
 * The key never leaves the vault; only the one-time key crosses the network (inside TLS).
 * Note: the RSA public key is not secret, so whoever holds it can build a blob that unwraps to
 * a data key of their choosing; this provider gives confidentiality, and integrity only against
 * parties without the public key (see docs/keys-azure.md).
 */
export const AZURE_KEK_PROVIDER = "azure-key-vault";
/** The constant `keyVersion` of every record this provider writes (the Azure version is in keyId). */
export const AZURE_KEK_KEY_VERSION = 1;

const WRAP_ALGORITHM = "RSA-OAEP-256";
const BLOB_FORMAT = 0x01;
const HEADER_BYTES = 3;
/** RSA-OAEP output is the modulus size: 256..512 bytes for 2048..4096-bit keys. */
const MAX_REMOTE_BYTES = 1024;
const MAX_CLIENTS = 64;
const KEY_NAME = /^[0-9A-Za-z-]{1,127}$/;
const KEY_VERSION = /^[0-9A-Za-z]{1,64}$/;

export interface AzureKeyVaultKekOptions {
  /** The vault, e.g. `https://my-vault.vault.azure.net` (https, no path, query or credentials). */
  vaultUrl: string;
  /** Name of an RSA key (RSA or RSA-HSM) permitted `wrapKey`, `unwrapKey` and `get`. */
  keyName: string;
  /** Any @azure/identity credential (managed identity, workload identity, client secret, …). */
  credential: TokenCredential;
  /** Passed to KeyClient and CryptographyClient (retries, agent/TLS, serviceVersion, …). */
  clientOptions?: KeyClientOptions;
}

export interface AzureKeyVaultKek extends KekProvider {
  readonly provider: typeof AZURE_KEK_PROVIDER;
  /** The vault origin, e.g. `https://my-vault.vault.azure.net`. */
  readonly vaultUrl: string;
  readonly keyName: string;
}

interface ParsedKeyId {
  keyId: string;
  version: string;
}

/** A KeyError-free summary of an SDK error: name, HTTP status, service code — never messages. */
function describe(e: unknown): { status?: number; summary: string } {
  if (typeof e !== "object" || e === null) return { summary: typeof e };
  const o = e as { name?: unknown; statusCode?: unknown; code?: unknown; errorResponse?: unknown };
  const name = typeof o.name === "string" ? o.name : "Error";
  const status = typeof o.statusCode === "number" ? o.statusCode : undefined;
  const code =
    typeof o.code === "string"
      ? o.code
      : typeof (o.errorResponse as { error?: unknown } | undefined)?.error === "string"
        ? (o.errorResponse as { error: string }).error
        : undefined;
  const safeCode = code && /^[\w.-]{1,64}$/.test(code) ? code : undefined;
  const parts = [name, status === undefined ? undefined : `HTTP ${status}`, safeCode].filter(Boolean);
  return { ...(status === undefined ? {} : { status }), summary: parts.join(" ") };
}

export function createAzureKeyVaultKek(opts: AzureKeyVaultKekOptions): AzureKeyVaultKek {
  let vault: URL;
  try {
    vault = new URL(opts.vaultUrl);
  } catch {
    throw new TypeError("azure-key-vault: vaultUrl is not a URL");
  }
  if (
    vault.protocol !== "https:" ||
    vault.username ||
    vault.password ||
    vault.search ||
    vault.hash ||
    (vault.pathname !== "/" && vault.pathname !== "")
  ) {
    throw new TypeError("azure-key-vault: vaultUrl must be https://<vault host> with no path or query");
  }
  if (!KEY_NAME.test(opts.keyName)) {
    throw new TypeError("azure-key-vault: keyName must be 1-127 letters, digits or dashes");
  }
  const vaultUrl = vault.origin;
  const keyName = opts.keyName;
  const label = `Azure Key Vault ${vaultUrl} key ${keyName}`;
  const clientOptions = opts.clientOptions ?? {};
  const keyClient = new KeyClient(vaultUrl, opts.credential, clientOptions);
  const cryptoClients = new Map<string, CryptographyClient>();

  /** The canonical versioned id of our key, or null if `id` is anything else. */
  const parseKeyId = (id: string): ParsedKeyId | null => {
    let u: URL;
    try {
      u = new URL(id);
    } catch {
      return null;
    }
    if (u.origin !== vaultUrl || u.username || u.password || u.search || u.hash) return null;
    const m = /^\/keys\/([^/]+)\/([^/]+)$/.exec(u.pathname);
    if (!m || m[1] !== keyName || !KEY_VERSION.test(m[2] ?? "")) return null;
    const version = m[2] as string;
    return { keyId: `${vaultUrl}/keys/${keyName}/${version}`, version };
  };

  /** Refuses, without any network call, refs that are not a version of the configured key. */
  const checkRef = (ref: KekRef): ParsedKeyId => {
    const parsed = typeof ref?.keyId === "string" ? parseKeyId(ref.keyId) : null;
    // Exact string match: no alias spellings of one key version (isInUse counts by string).
    if (!parsed || parsed.keyId !== ref.keyId) {
      throw new KeyError("unknown_key", `key id is not a version of ${label}`);
    }
    if (ref.keyVersion !== AZURE_KEK_KEY_VERSION) {
      throw new KeyError(
        "unknown_key",
        `${label}: keyVersion must be ${AZURE_KEK_KEY_VERSION} (the Azure version is in keyId)`,
      );
    }
    return parsed;
  };

  const cryptoFor = (keyId: string): CryptographyClient => {
    let c = cryptoClients.get(keyId);
    if (!c) {
      c = new CryptographyClient(keyId, opts.credential, clientOptions);
      if (cryptoClients.size >= MAX_CLIENTS) {
        const oldest = cryptoClients.keys().next().value;
        if (oldest !== undefined) cryptoClients.delete(oldest);
      }
      cryptoClients.set(keyId, c);
    }
    return c;
  };

  /** Runs an SDK call; every non-KeyError failure becomes a KeyError without secrets. */
  async function remote<T>(op: "get" | "wrap" | "unwrap", what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isKeyError(e)) throw e;
      const { status, summary } = describe(e);
      const cause = new Error(summary);
      if (status === 404) {
        throw new KeyError("unknown_key", `${label}: ${what} not found in the vault (${summary})`, { cause });
      }
      if (status === 400 && op === "unwrap") {
        throw new KeyError("decryption_failed", "wrapped key: decryption failed", { cause });
      }
      // The SDK's own messages are never copied; only this fixed classification is.
      const message = e instanceof Error ? e.message : "";
      const why = /Authentication|CredentialUnavailable/.test(summary)
        ? "could not authenticate"
        : status === 401 || status === 403
          ? "access denied"
          : /challenge resource/i.test(message)
            ? "refused: the vault's authentication challenge names another resource domain"
            : status === undefined && summary.startsWith("RestError")
              ? "could not reach the vault"
              : status === undefined
                ? "failed"
                : "request failed";
      throw new KeyError("kek_unavailable", `${label}: ${op} ${why} (${summary})`, { cause });
    }
  }

  return {
    provider: AZURE_KEK_PROVIDER,
    vaultUrl,
    keyName,

    async current() {
      const key = await remote("get", "the key", () => keyClient.getKey(keyName));
      const parsed = typeof key.id === "string" ? parseKeyId(key.id) : null;
      if (!parsed) throw new KeyError("kek_unavailable", `${label}: the vault returned an unexpected key id`);
      if (key.properties.enabled === false) {
        throw new KeyError("key_retired", `${label}: current version ${parsed.version} is disabled`);
      }
      if (key.keyType !== undefined && key.keyType !== "RSA" && key.keyType !== "RSA-HSM") {
        throw new KeyError("kek_unavailable", `${label}: key type ${key.keyType} is not RSA`);
      }
      return { keyId: parsed.keyId, keyVersion: AZURE_KEK_KEY_VERSION };
    },

    async wrap(ref, dataKey, aad) {
      if (dataKey.length !== KEY_BYTES) throw new RangeError("data key must be 32 bytes");
      const { keyId, version } = checkRef(ref);
      const oneTime = randomBytes(KEY_BYTES);
      try {
        const res = await remote("wrap", `version ${version}`, () =>
          cryptoFor(keyId).wrapKey(WRAP_ALGORITHM, oneTime),
        );
        const remoteWrapped = Buffer.from(res.result);
        if (remoteWrapped.length === 0 || remoteWrapped.length > MAX_REMOTE_BYTES) {
          throw new KeyError("kek_unavailable", `${label}: wrapKey returned ${remoteWrapped.length} bytes`);
        }
        const sealed = gcmEncrypt(oneTime, dataKey, localAad(aad, remoteWrapped));
        const header = Buffer.alloc(HEADER_BYTES);
        header.writeUInt8(BLOB_FORMAT, 0);
        header.writeUInt16BE(remoteWrapped.length, 1);
        const blob = Buffer.concat([header, remoteWrapped, sealed.nonce, sealed.ciphertext, sealed.tag]);
        sealed.ciphertext.fill(0);
        return blob;
      } finally {
        oneTime.fill(0);
      }
    },

    async unwrap(ref, wrapped, aad) {
      const { keyId, version } = checkRef(ref);
      const fail = () => new KeyError("decryption_failed", "wrapped key: decryption failed");
      if (wrapped.length < HEADER_BYTES || wrapped.readUInt8(0) !== BLOB_FORMAT) throw fail();
      const remoteLen = wrapped.readUInt16BE(1);
      if (
        remoteLen === 0 ||
        remoteLen > MAX_REMOTE_BYTES ||
        wrapped.length !== HEADER_BYTES + remoteLen + NONCE_BYTES + KEY_BYTES + TAG_BYTES
      ) {
        throw fail();
      }
      const remoteWrapped = wrapped.subarray(HEADER_BYTES, HEADER_BYTES + remoteLen);
      const nonceAt = HEADER_BYTES + remoteLen;
      const sealed = {
        nonce: wrapped.subarray(nonceAt, nonceAt + NONCE_BYTES),
        ciphertext: wrapped.subarray(nonceAt + NONCE_BYTES, nonceAt + NONCE_BYTES + KEY_BYTES),
        tag: wrapped.subarray(nonceAt + NONCE_BYTES + KEY_BYTES),
      };
      const res = await remote("unwrap", `version ${version}`, () =>
        cryptoFor(keyId).unwrapKey(WRAP_ALGORITHM, remoteWrapped),
      );
      const oneTime = Buffer.from(res.result);
      res.result.fill(0);
      try {
        if (oneTime.length !== KEY_BYTES) throw fail();
        return gcmDecrypt(oneTime, sealed, localAad(aad, remoteWrapped), "wrapped key");
      } finally {
        oneTime.fill(0);
      }
    },
  };
}

/** The local GCM's AAD: the caller's aad and the remote blob, each length-prefixed. */
function localAad(aad: Buffer, remoteWrapped: Buffer): Buffer {
  const parts = [Buffer.from("auditorium.keys.azure-kek.v1", "utf8"), aad, remoteWrapped];
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    chunks.push(len, p);
  }
  return Buffer.concat(chunks);
}
