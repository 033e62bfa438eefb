import type { Db } from "../../../db/database.ts";
import type { Logger } from "../../../lib/logger.ts";
import { RateLimitedError, type RateLimiter } from "../../../lib/rate-limit.ts";
import type { ProviderKind, WebhookRequest, WebinarProvider } from "../../../providers/contract.ts";
import { type ConfigurationService, wipe } from "../configurations.service.ts";
import type { WebhookApplier } from "./apply.ts";

export interface WebhookAnswer {
  status: number;
  body: string;
  contentType: string;
}

const json = (status: number, value: unknown): WebhookAnswer => ({
  status,
  body: JSON.stringify(value),
  contentType: "application/json; charset=utf-8",
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One provider delivery to `POST /webhooks/{configurationId}`: the configuration's account
 * is loaded (unknown, switched off or without credentials → 404, nothing changes), the
 * adapter verifies and reads the raw bytes, and the events it finds are applied in one
 * transaction. The credentials are opened only for the check and zeroed right after; no
 * provider is called. Rejections are logged with their reason and the configuration, never
 * with the body or headers (they carry personal data and signatures).
 */
/** Deliveries per configuration and sender (Zoom and Graph send bursts of joins at a webinar's start). */
export const WEBHOOK_RATE = { max: 2000, windowMs: 10_000 };
/** Deliveries failing verification per configuration and sender before that sender pauses for the window. */
export const WEBHOOK_REJECT_RATE = { max: 20, windowMs: 60_000 };

export function createWebhookReceiver(deps: {
  db: Db;
  configurations: Pick<ConfigurationService, "loadAccount">;
  providers: Record<ProviderKind, WebinarProvider>;
  clientStates: (configurationId: string) => Promise<string[]>;
  apply: WebhookApplier;
  /** Every delivery, per (configuration, sender): generous, a webinar's start brings bursts of joins. */
  limiter: RateLimiter;
  /** Deliveries failing verification, per (configuration, sender): past this, that sender pauses. */
  rejectLimiter: RateLimiter;
  logger: Pick<Logger, "warn" | "info">;
}) {
  const { db, configurations, providers, apply, limiter, rejectLimiter, logger } = deps;
  /** Senders paused at one endpoint after a flood of unverifiable deliveries, by `senderKey`. */
  const pausedUntil = new Map<string, number>();

  /** Counts a rejection; too many and that sender gets 429 before anything is verified. */
  function rejected(key: string) {
    const now = Date.now();
    for (const [k, until] of pausedUntil) if (until <= now) pausedUntil.delete(k);
    try {
      rejectLimiter.hit(key);
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      pausedUntil.set(key, now + error.retryAfterSeconds * 1000);
    }
  }
  const notFound = json(404, { error: { code: "not_found", message: "Unknown webhook endpoint" } });

  return async function receive(
    configurationId: string,
    request: WebhookRequest,
    /** The client address (after the trusted proxies): who the pause and limits apply to. */
    sender: string,
  ): Promise<WebhookAnswer> {
    if (!UUID.test(configurationId)) return notFound;
    // Per configuration and sender: a flood aimed at one endpoint cannot starve the others,
    // forged deliveries (each costs opening the credentials) soon stop being looked at, and
    // a forger pauses only itself — never the provider's real deliveries from elsewhere.
    const key = `${configurationId} ${sender}`;
    const paused = (pausedUntil.get(key) ?? 0) - Date.now();
    if (paused > 0) throw new RateLimitedError(Math.ceil(paused / 1000));
    limiter.hit(key);
    const loaded = await configurations.loadAccount(configurationId);
    if (!loaded) return notFound;
    const provider = providers[loaded.row.provider as ProviderKind];
    if (!provider?.handleWebhook) {
      wipe(loaded.account);
      return notFound;
    }
    let outcome: ReturnType<NonNullable<WebinarProvider["handleWebhook"]>>;
    try {
      const clientStates = await deps.clientStates(configurationId);
      outcome = provider.handleWebhook(loaded.account, request, { now: new Date(), clientStates });
    } finally {
      wipe(loaded.account);
    }
    switch (outcome.kind) {
      case "respond":
        return { status: outcome.status, body: outcome.body, contentType: outcome.contentType };
      case "rejected":
        rejected(key);
        logger.warn(
          { configurationId, provider: loaded.row.provider, reason: outcome.reason.slice(0, 200) },
          "webhook rejected",
        );
        return json(401, {
          error: { code: "webhook_rejected", message: "The delivery failed verification" },
        });
      case "events": {
        const applied = await db.transaction().execute((trx) => apply(trx, configurationId, outcome.events));
        logger.info(
          { configurationId, provider: loaded.row.provider, events: outcome.events.length, applied },
          "webhook applied",
        );
        return json(200, { received: outcome.events.length, applied });
      }
    }
  };
}

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>;
