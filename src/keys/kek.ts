/**
 * A key-encryption key (KEK) provider: something that holds KEKs and wraps/unwraps data keys
 * under them. Issue 3 ships the local keyring (`local-keyring.ts`); PKCS#11 and Azure Key Vault
 * implement the same interface later, so nothing here may assume the key is in memory.
 *
 * The caller picks the version first (`current()`), because the envelope binds
 * {provider, keyId, keyVersion} into the wrap's additional authenticated data (AAD) *before*
 * wrapping; a provider therefore wraps under exactly the ref it is given.
 */
export interface KekRef {
  /** Provider-scoped key identifier (local: the keyring id; Azure: the key name/URL). */
  readonly keyId: string;
  /** Positive integer version within keyId. */
  readonly keyVersion: number;
}

export interface KekProvider {
  /** Stored in every record as `kekProvider`, e.g. "local". */
  readonly provider: string;
  /** The version new data keys must be wrapped under. */
  current(): Promise<KekRef>;
  /**
   * Wraps `dataKey` under `ref`, authenticating `aad`. Must refuse unknown or retired refs
   * with KeyError. Providers whose backend has no AAD (e.g. RSA-OAEP wrapKey) must still
   * authenticate it — e.g. wrap a one-time key remotely and AES-GCM the data key under it.
   */
  wrap(ref: KekRef, dataKey: Buffer, aad: Buffer): Promise<Buffer>;
  /**
   * Inverse of wrap. Throws KeyError `unknown_key` / `key_retired` / `decryption_failed`;
   * never returns unauthenticated bytes. The caller owns (and zeroes) the returned buffer.
   */
  unwrap(ref: KekRef, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
}
