/**
 * Every event type an endpoint can subscribe to, and what its `data` holds. Payloads carry
 * ids and the facts that changed — never a credential, never a token. Registration events
 * carry `sequence`: the registration's own counter, increasing with every message about it in
 * commit order, so a receiver can put messages that arrive out of order back in order.
 */
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
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The facts of one message. `registrationId`/`contactId` tie it to a person (erasure deletes it). */
export type WebhookData = Record<string, unknown> & {
  registrationId?: string;
  contactId?: string;
};
