export type { AzureKeyVaultKek, AzureKeyVaultKekOptions } from "./azure-kek.ts";
export { createDataKeyCache, type DataKeyCache } from "./data-key-cache.ts";
export type { Envelope, SealedRecord, SecretContext } from "./envelope.ts";
export { createEnvelope, ENVELOPE_FORMAT, type EnvelopeOptions, sealedRecordSchema } from "./envelope.ts";
export type { KekProvider, KekRef } from "./kek.ts";
export { isKeyError, KeyError, type KeyErrorCode } from "./key-error.ts";
export type {
  KeyVersionInfo,
  LocalKeyring,
  OpenLocalKeyringOptions,
  RetireOptions,
} from "./local-keyring.ts";
export { KEYRING_FILE_NAME, openLocalKeyring } from "./local-keyring.ts";
export type { OpenPkcs11KekOptions, Pkcs11Kek } from "./pkcs11-kek.ts";
