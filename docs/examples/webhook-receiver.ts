import { createHmac, timingSafeEqual } from "node:crypto";

/** Verifies an Auditorium webhook (Standard Webhooks); returns the event or throws. */
export function verifyWebhook(secret: string, headers: Record<string, string>, body: string) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"] ?? "";
  if (!id || !timestamp) throw new Error("missing webhook headers");
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) throw new Error("stale timestamp");
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  const ok = signatures.split(" ").some((s) => {
    const given = Buffer.from(s.replace(/^v1,/, ""), "base64");
    return s.startsWith("v1,") && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new Error("bad signature");
  return JSON.parse(body) as { type: string; timestamp: string; data: Record<string, unknown> };
}
