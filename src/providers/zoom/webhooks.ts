/**
 * Zoom webhook deliveries (https://developers.zoom.us/docs/api/webhooks/): verified with
 * `x-zm-signature` = "v0=" + hex(HMAC-SHA256(secret token, "v0:{x-zm-request-timestamp}:{raw
 * body}")), compared in constant time, over the bytes as received (re-serialised JSON would not
 * match). Deliveries older than five minutes are refused so a captured one cannot be replayed.
 * `endpoint.url_validation` is answered with `{plainToken, encryptedToken}` (HMAC-SHA256 hex of
 * the plain token). Never throws: anything unusable is `rejected`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type {
  ProviderAccount,
  WebhookContext,
  WebhookEvent,
  WebhookOutcome,
  WebhookRequest,
} from "../contract.ts";
import { zoomId } from "./schemas.ts";

const MAX_AGE_MS = 5 * 60_000;

const webinarObject = { id: zoomId };

/** Shapes per event, from the SDK's `Webinar*Event` types (meetings.d.ts). */
const envelope = z.looseObject({ event: z.string(), payload: z.looseObject({}) });
const urlValidation = z.looseObject({ payload: z.looseObject({ plainToken: z.string().min(1).max(512) }) });
const registration = z.looseObject({
  payload: z.looseObject({
    object: z.looseObject({
      ...webinarObject,
      registrant: z.looseObject({
        id: zoomId,
        email: z.string(),
        first_name: z.string().optional(),
        last_name: z.string().optional(),
        join_url: z.string().optional(),
      }),
    }),
  }),
});
const participant = z.looseObject({
  payload: z.looseObject({
    object: z.looseObject({
      ...webinarObject,
      participant: z.looseObject({
        user_name: z.string().optional(),
        email: z.string().optional(),
        registrant_id: z.string().optional(),
        join_time: z.iso.datetime({ offset: true }).optional(),
        leave_time: z.iso.datetime({ offset: true }).optional(),
      }),
    }),
  }),
});
const webinarOnly = z.looseObject({ payload: z.looseObject({ object: z.looseObject(webinarObject) }) });

const hmacHex = (secret: string, text: string | Buffer) =>
  createHmac("sha256", secret).update(text).digest("hex");

export function zoomSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `v0=${hmacHex(secret, Buffer.concat([Buffer.from(`v0:${timestamp}:`), Buffer.from(rawBody)]))}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const orNull = (v: string | undefined) => (v === undefined || v.trim() === "" ? null : v);

function toEvents(type: string, body: unknown): WebhookEvent[] | null {
  switch (type) {
    case "webinar.registration_created": {
      const p = registration.safeParse(body);
      if (!p.success) return null;
      const { id, registrant: r } = p.data.payload.object;
      return [
        {
          type: "registrant.upserted",
          providerWebinarId: id,
          registrant: {
            providerRegistrantId: r.id,
            email: r.email,
            joinUrl: orNull(r.join_url),
            firstName: orNull(r.first_name),
            lastName: orNull(r.last_name),
          },
        },
      ];
    }
    case "webinar.registration_cancelled": {
      const p = registration.safeParse(body);
      if (!p.success) return null;
      const { id, registrant: r } = p.data.payload.object;
      return [
        { type: "registrant.cancelled", providerWebinarId: id, providerRegistrantId: r.id, email: r.email },
      ];
    }
    case "webinar.participant_joined":
    case "webinar.participant_left": {
      const p = participant.safeParse(body);
      if (!p.success) return null;
      const { id, participant: who } = p.data.payload.object;
      const joined = type === "webinar.participant_joined";
      const at = joined ? who.join_time : who.leave_time;
      if (!at) return null;
      return [
        {
          type: joined ? "participant.joined" : "participant.left",
          providerWebinarId: id,
          providerRegistrantId: orNull(who.registrant_id),
          email: orNull(who.email),
          name: orNull(who.user_name),
          at: new Date(at),
        },
      ];
    }
    case "webinar.ended": {
      const p = webinarOnly.safeParse(body);
      if (!p.success) return null;
      return [{ type: "attendance.changed", providerWebinarId: p.data.payload.object.id }];
    }
    default:
      // Subscribed to something we do not use: acknowledged, nothing to do.
      return [];
  }
}

export function handleZoomWebhook(
  account: ProviderAccount,
  request: WebhookRequest,
  context: WebhookContext,
): WebhookOutcome {
  const secret = account.credentials.webhookSecretToken?.toString("utf8").trim() ?? "";
  if (secret === "") return { kind: "rejected", reason: "No webhook secret token is configured" };
  const signature = request.headers["x-zm-signature"];
  const timestamp = request.headers["x-zm-request-timestamp"];
  if (!signature || !timestamp) return { kind: "rejected", reason: "Missing x-zm-signature or timestamp" };
  if (!/^\d{1,13}$/.test(timestamp)) return { kind: "rejected", reason: "Malformed x-zm-request-timestamp" };
  // Zoom sends seconds; a value in milliseconds is accepted too.
  const sentMs = timestamp.length > 11 ? Number(timestamp) : Number(timestamp) * 1000;
  if (Math.abs(context.now.getTime() - sentMs) > MAX_AGE_MS) {
    return { kind: "rejected", reason: "Delivery timestamp is more than 5 minutes away from now" };
  }
  if (!sameText(signature, zoomSignature(secret, timestamp, request.rawBody))) {
    return { kind: "rejected", reason: "Signature does not match" };
  }
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString("utf8"));
  } catch {
    return { kind: "rejected", reason: "Body is not JSON" };
  }
  const env = envelope.safeParse(body);
  if (!env.success) return { kind: "rejected", reason: "Body is not a Zoom event" };
  if (env.data.event === "endpoint.url_validation") {
    const v = urlValidation.safeParse(body);
    if (!v.success) return { kind: "rejected", reason: "url_validation without plainToken" };
    const plainToken = v.data.payload.plainToken;
    return {
      kind: "respond",
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ plainToken, encryptedToken: hmacHex(secret, plainToken) }),
    };
  }
  const events = toEvents(env.data.event, body);
  if (events === null) return { kind: "rejected", reason: `Malformed ${env.data.event} payload` };
  return { kind: "events", events };
}
