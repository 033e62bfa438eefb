import { call } from "./client.ts";
import type { Page } from "./types.ts";

/** Outgoing webhook endpoints (docs/webhooks-out.md): the organization's own receivers. */
export const WEBHOOK_EVENT_TYPES = [
  "registration.created",
  "registration.confirmed",
  "registration.cancelled",
  "registration.synced",
  "registration.sync_failed",
  "attendance.updated",
  "webinar.provisioned",
  "webinar.ended",
  "erasure.completed",
] as const;

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  failingSince: string | null;
  secretOverlapEndsAt: string | null;
  createdAt: string;
}

export interface WebhookDelivery {
  messageId: string;
  webhookId: string;
  eventType: string;
  createdAt: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

const v1 = "/api/v1/webhook-endpoints";
const id = encodeURIComponent;

export const webhooksApi = {
  list: () => call<Page<WebhookEndpoint>>("GET", v1, undefined, { limit: 100 }),
  create: (input: { url: string; eventTypes: string[]; description?: string }) =>
    call<WebhookEndpoint & { secret: string }>("POST", v1, input),
  setEnabled: (endpointId: string, enabled: boolean) =>
    call<WebhookEndpoint>("PATCH", `${v1}/${id(endpointId)}`, { enabled }),
  remove: (endpointId: string) => call("DELETE", `${v1}/${id(endpointId)}`),
  rotate: (endpointId: string) =>
    call<{ secret: string; previousSecretExpiresAt: string | null }>(
      "POST",
      `${v1}/${id(endpointId)}/rotate-secret`,
    ),
  deliveries: (endpointId: string) =>
    call<Page<WebhookDelivery>>("GET", `${v1}/${id(endpointId)}/deliveries`, undefined, { limit: 20 }),
  replay: (endpointId: string, messageId: string) =>
    call<{ replayed: number }>("POST", `${v1}/${id(endpointId)}/replay`, { messageId }),
};
