export type { Envelope, SealedRecord, SecretContext } from "./envelope.ts";
export { createEnvelope, ENVELOPE_FORMAT, sealedRecordSchema } from "./envelope.ts";
export type { KekProvider, KekRef } from "./kek.ts";
export { isKeyError, KeyError, type KeyErrorCode } from "./key-error.ts";
export type {
  KeyVersionInfo,
  LocalKeyring,
  OpenLocalKeyringOptions,
  RetireOptions,
} from "./local-keyring.ts";
export { KEYRING_FILE_NAME, openLocalKeyring } from "./local-keyring.ts";
