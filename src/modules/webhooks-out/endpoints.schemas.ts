import { z } from "zod";
import type { WebhookEndpointRow } from "../../db/schema-webhooks-out.ts";
import { isoDate, optionalLine } from "../../http/schemas.ts";
import { WEBHOOK_EVENT_TYPES } from "./event-types.ts";

export const eventType = z.enum(WEBHOOK_EVENT_TYPES);
const eventTypes = z
  .array(eventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length * 2);
/** The outbound guard checks the destination in the service (it needs DNS). */
const url = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine((s) => URL.canParse(s), "must be an absolute URL");

export const createBody = z.strictObject({
  url,
  eventTypes,
  description: optionalLine(500),
});

export const patchBody = z
  .strictObject({
    url: url.optional(),
    eventTypes: eventTypes.optional(),
    description: optionalLine(500),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "give at least one field to change");

const instant = z.iso.datetime({ offset: true, message: "must be an ISO 8601 instant" });
export const replayBody = z.union([
  z.strictObject({ messageId: z.uuid({ message: "must be a UUID" }) }),
  z.strictObject({ since: instant, until: instant }),
]);

export const endpointDto = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(eventType),
  enabled: z.boolean(),
  /** Set when the endpoint was switched off; with `disabledReason` when the worker did it. */
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
  /** Every attempt has failed since then (null once one succeeds). */
  failingSince: z.string().nullable(),
  /** While a rotation's overlap runs, when the previous secret stops signing. */
  secretOverlapEndsAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toEndpointDto = (
  r: WebhookEndpointRow & { secretOverlapEndsAt: Date | null },
): z.infer<typeof endpointDto> => ({
  id: r.id,
  url: r.url,
  description: r.description,
  eventTypes: r.event_types as z.infer<typeof eventType>[],
  enabled: r.enabled,
  disabledAt: isoDate(r.disabled_at),
  disabledReason: r.disabled_reason,
  failingSince: isoDate(r.failing_since),
  secretOverlapEndsAt: isoDate(r.secretOverlapEndsAt),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export const deliveryDto = z.object({
  messageId: z.string(),
  webhookId: z.string(),
  eventType: z.string(),
  createdAt: z.string(),
  state: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});

export const attemptDto = z.object({
  id: z.string(),
  attemptedAt: z.string(),
  status: z.number().nullable(),
  durationMs: z.number(),
  responseExcerpt: z.string().nullable(),
  error: z.string().nullable(),
});
