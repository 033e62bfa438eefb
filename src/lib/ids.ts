import { createHash, randomBytes } from "node:crypto";

/**
 * UUID version 7: time-ordered, so primary keys double as stable cursor positions and
 * index inserts stay append-mostly.
 */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID_RE.test(s);

/** A secret token for links, cookies and API tokens: 256 bits, URL-safe. */
export const newSecretToken = (prefix = "") => prefix + randomBytes(32).toString("base64url");

/** Stored form of a high-entropy token: a plain SHA-256 is enough (no guessing to slow down). */
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
