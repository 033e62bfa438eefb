/**
 * Signed webhook deliveries of the open contract (docs/provider-contract.md, "Webhooks"):
 * `Auditorium-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhookSecret, "<t>.<raw body>")>`,
 * several `v1` allowed while a secret is rotated, accepted within five minutes of `t` either
 * way (a captured delivery cannot be replayed later). Verification never throws.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type {
  ProviderAccount,
  WebhookContext,
  WebhookEvent,
  WebhookOutcome,
  WebhookRequest,
} from "../contract.ts";
import { type ContractRegistration, contractWebhookEvent } from "./schemas.ts";

export const SIGNATURE_HEADER = "auditorium-signature";
export const SIGNATURE_TOLERANCE_SECONDS = 300;

interface ParsedSignature {
  t: number;
  v1: string[];
}

function parseSignature(header: string): ParsedSignature | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

/** The expected `v1` for a timestamp and body. */
export function contractSignature(secret: Buffer | string, t: number, rawBody: Buffer): string {
  return createHmac("sha256", secret).update(`${t}.`).update(rawBody).digest("hex");
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyContractSignature(
  secret: Buffer,
  header: string | undefined,
  rawBody: Buffer,
  now: Date,
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing Auditorium-Signature header" };
  const sig = parseSignature(header);
  if (!sig) return { ok: false, reason: "malformed Auditorium-Signature header" };
  if (Math.abs(now.getTime() / 1000 - sig.t) > SIGNATURE_TOLERANCE_SECONDS)
    return { ok: false, reason: "signature timestamp outside the five-minute tolerance" };
  const expected = Buffer.from(contractSignature(secret, sig.t, rawBody), "hex");
  const match = sig.v1.some((v) => timingSafeEqual(Buffer.from(v, "hex"), expected));
  return match ? { ok: true } : { ok: false, reason: "signature does not match" };
}

function registrantOf(r: ContractRegistration) {
  return {
    providerRegistrantId: r.id,
    email: r.email,
    joinUrl: r.joinUrl,
    firstName: r.firstName || null,
    lastName: r.lastName || null,
  };
}

export function handleContractWebhook(
  account: ProviderAccount,
  request: WebhookRequest,
  context: WebhookContext,
): WebhookOutcome {
  const secret = account.credentials.webhookSecret;
  if (!secret || secret.length === 0) return { kind: "rejected", reason: "no webhook secret configured" };
  const check = verifyContractSignature(
    secret,
    request.headers[SIGNATURE_HEADER],
    request.rawBody,
    context.now,
  );
  if (!check.ok) return { kind: "rejected", reason: check.reason };
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString("utf8"));
  } catch {
    return { kind: "rejected", reason: "body is not JSON" };
  }
  const parsed = contractWebhookEvent.safeParse(json);
  if (!parsed.success) return { kind: "rejected", reason: "body is not a contract webhook event" };
  const e = parsed.data;
  let event: WebhookEvent;
  switch (e.type) {
    case "registration.created":
      // A registration already cancelled by the time this arrives is reported as what it is now.
      event =
        e.data.status === "cancelled"
          ? {
              type: "registrant.cancelled",
              providerWebinarId: e.webinarId,
              providerRegistrantId: e.data.id,
              email: e.data.email,
            }
          : { type: "registrant.upserted", providerWebinarId: e.webinarId, registrant: registrantOf(e.data) };
      break;
    case "registration.cancelled":
      event = {
        type: "registrant.cancelled",
        providerWebinarId: e.webinarId,
        providerRegistrantId: e.data.id,
        email: e.data.email,
      };
      break;
    case "attendance.updated":
      event = { type: "attendance.changed", providerWebinarId: e.webinarId };
      break;
  }
  return { kind: "events", events: [event] };
}
