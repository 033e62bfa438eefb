/**
 * Job names and payloads. Payloads carry ids only — never personal data — and handlers are
 * level-triggered: they read the current desired state from the database, so a duplicate
 * or late job is harmless.
 */
export interface JobPayloads {
  "webinar.sync": { webinarId: string };
  /** `batchWaits`: times this first attempt stepped back for a batch in flight (sync/bulk-register.ts). */
  "registration.sync": { registrationId: string; webinarId: string; batchWaits?: number };
  /** `early`: one extra poll soon after live webhooks; it does not continue the poll schedule. */
  "metrics.poll": { webinarId: string; early?: boolean };
  /** Keeps one webinar's change-notification subscription alive (sync/subscriptions.ts). */
  "webhook.subscription": { webinarId: string };
  "keys.rewrap": Record<string, never>;
  /** One provider account's part of an erasure; the address is sealed in the row, never here. */
  "person.erase": { providerErasureId: string };
  /** The hourly retention sweep over every organization; carries nothing. */
  "retention.sweep": Record<string, never>;
  /**
   * Sends one stored email (src/modules/email). `unavailable`: tries in a row that found the
   * SMTP server unreachable, which pace the next try without spending an attempt.
   */
  "email.send": { messageId: string; unavailable?: number };
  /** Deletes double opt-in registrations whose confirmation link lapsed; carries nothing. */
  "registration.expire": Record<string, never>;
  /** Sends the registrant reminders that are due; carries nothing. */
  "registration.remind": Record<string, never>;
  /** An event was rescheduled or cancelled: tell its registrants (registrations/event-notices.ts). */
  "registration.event_changed": { eventId: string };
  /** One reconciliation run (its row holds the webinar); `attempt`: tries so far (sync/reconcile.ts). */
  "webinar.reconcile": { runId: string; attempt?: number };
  /** Queues the reconciliation runs that are due; carries nothing. */
  "webinar.reconcile_sweep": Record<string, never>;
  /** One outgoing webhook message to one endpoint (src/modules/webhooks-out/delivery.ts). */
  "webhook.deliver": { deliveryId: string };
}
export type JobName = keyof JobPayloads;
export const JOB_NAMES: JobName[] = [
  "webinar.sync",
  "registration.sync",
  "metrics.poll",
  "webhook.subscription",
  "keys.rewrap",
  "person.erase",
  "retention.sweep",
  "email.send",
  "registration.expire",
  "registration.remind",
  "registration.event_changed",
  "webinar.reconcile",
  "webinar.reconcile_sweep",
  "webhook.deliver",
];
