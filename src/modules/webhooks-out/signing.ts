import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is
 * `whsec_<base64 of 32 random bytes>`, and each signature is `v1,<base64 HMAC-SHA256 of
 * "<webhook-id>.<webhook-timestamp>.<body>">` keyed with the decoded bytes. Several
 * signatures (a rotation's overlap) are separated by spaces; a receiver accepts a request
 * when any of them verifies with a secret it holds.
 */
export const SECRET_PREFIX = "whsec_";

export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

export function signatureOf(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  key.fill(0);
  return `v1,${mac}`;
}

/** The three headers of one attempt, signed with every secret given (current first). */
export function signedHeaders(secrets: string[], id: string, timestampSeconds: number, body: string) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": secrets.map((s) => signatureOf(s, id, timestampSeconds, body)).join(" "),
  };
}

/** The id receivers see: stable across retries and replays of one message. */
export const webhookIdOf = (messageId: string) => `msg_${messageId.replace(/-/g, "")}`;
