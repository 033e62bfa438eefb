import { randomBytes } from "node:crypto";
import type { Db } from "../../../db/database.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import type { Envelope } from "../../../keys/index.ts";
import { clientStateContext } from "../../../keys/sealed-columns.ts";
import { ProviderError, type ProviderKind, type WebinarProvider } from "../../../providers/contract.ts";
import { loadWebinar, type PollPlan } from "./metrics-poll.ts";
import { type ProviderCaller, type RetryBackoff, retryBackoff } from "./provider-call.ts";

/** Renew this long before expiry (Graph's virtual-event subscriptions last at most a day). */
const RENEW_BEFORE_MS = 60 * 60_000;
/** Credentials missing: look again this often; the check itself makes no provider call. */
const HELD_RECHECK_SECONDS = 60;

/**
 * Change-notification subscriptions (Microsoft Graph), one per provisioned webinar whose
 * provider has `subscribe`, kept alive by the level-triggered `webhook.subscription` job:
 * it creates the subscription when there is none (or it lapsed, or the provider forgot it),
 * renews it an hour before expiry, and stops once the webinar's metrics window ends or the
 * webinar is removed. Every provider call goes through the same caller as the rest of the
 * sync (pause, breaker, switch-off permit, credentials, rate limit), so a switch-off holds
 * it. A failed creation or renewal is recorded on the row (`last_error`, `attempts`) and
 * retried with back-off.
 *
 * The clientState is a random 32-byte secret the provider echoes in each notification. It
 * is sealed with the envelope (not hashed) because the adapter needs the value itself to
 * compare with what arrives; the seal binds it to the organization, configuration and webinar.
 */
export function createSubscriptionKeeper(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  providers: Record<ProviderKind, WebinarProvider>;
  envelope: Envelope;
  plan: PollPlan;
  /** `${publicUrl}` of this deployment; the notification URL is `${publicUrl}/webhooks/{configurationId}`. */
  publicUrl: () => string | null;
  backoff?: RetryBackoff;
}) {
  const { db, queue, call, providers, envelope, plan } = deps;
  const backoff = deps.backoff ?? retryBackoff();

  async function update(webinarId: string, set: Record<string, unknown>) {
    await db
      .updateTable("webhook_subscriptions")
      .set({ ...set, updated_at: new Date() })
      .where("webinar_id", "=", webinarId)
      .execute();
  }

  const again = (webinarId: string, seconds: number) =>
    queue.send(
      db,
      "webhook.subscription",
      { webinarId },
      { startAfterSeconds: Math.max(0, seconds), singletonKey: `subscription:${webinarId}` },
    );

  async function handle({ webinarId }: { webinarId: string }) {
    const webinar = await loadWebinar(db, webinarId);
    if (!webinar) return;
    const config = await db
      .selectFrom("webinar_configurations")
      .select("provider")
      .where("id", "=", webinar.configuration_id)
      .executeTakeFirst();
    const provider = config && providers[config.provider as ProviderKind];
    if (!provider?.subscribe || !provider.renewSubscription) return;
    let row = await db
      .selectFrom("webhook_subscriptions")
      .selectAll()
      .where("webinar_id", "=", webinarId)
      .executeTakeFirst();
    const windowEnds = webinar.ends_at.getTime() + plan.windowDays * 24 * 3600_000;
    const live =
      webinar.desired === "active" && webinar.state === "provisioned" && webinar.provider_webinar_id;
    if (!live || Date.now() >= windowEnds) {
      // Graph lets a subscription lapse by itself; we just stop renewing it.
      if (row && row.state !== "ended") await update(webinarId, { state: "ended", last_error: null });
      return;
    }
    const publicUrl = deps.publicUrl();
    if (!publicUrl) {
      if (row) await update(webinarId, { last_error: "The public URL of this deployment is not known yet" });
      return again(webinarId, HELD_RECHECK_SECONDS);
    }
    if (!row) {
      const base = {
        webinar_id: webinarId,
        organization_id: webinar.organization_id,
        configuration_id: webinar.configuration_id,
      };
      const secret = randomBytes(32);
      const sealed = await envelope.seal(Buffer.from(secret.toString("base64url")), clientStateContext(base));
      secret.fill(0);
      await db
        .insertInto("webhook_subscriptions")
        .values({ ...base, client_state: JSON.stringify(sealed), updated_at: new Date() })
        .onConflict((oc) => oc.column("webinar_id").doNothing())
        .execute();
      row = await db
        .selectFrom("webhook_subscriptions")
        .selectAll()
        .where("webinar_id", "=", webinarId)
        .executeTakeFirstOrThrow();
    }
    const current = row;
    const expiresAt = current.expires_at?.getTime() ?? 0;
    const valid = current.provider_subscription_id !== null && expiresAt > Date.now();
    if (valid && expiresAt - Date.now() > RENEW_BEFORE_MS) {
      return again(webinarId, (expiresAt - Date.now() - RENEW_BEFORE_MS) / 1000);
    }
    const action = valid ? "renew" : "create";
    const key = webinar.provider_webinar_id as string;
    const notificationUrl = `${publicUrl}/webhooks/${webinar.configuration_id}`;
    const attempt = current.attempts + 1;
    const outcome = await call(webinar.configuration_id, async (p, account) => {
      if (!p.subscribe || !p.renewSubscription)
        throw new Error("subscriptions disappeared from the provider");
      if (action === "renew") {
        try {
          const renewed = await p.renewSubscription(account, current.provider_subscription_id as string);
          return { subscriptionId: current.provider_subscription_id as string, expiresAt: renewed.expiresAt };
        } catch (error) {
          // The provider no longer knows it (expired or removed there): subscribe anew.
          if (error instanceof ProviderError && error.kind === "not_found") return null;
          throw error;
        }
      }
      const clientState = await envelope.open(current.client_state, clientStateContext(current));
      try {
        return await p.subscribe(account, key, notificationUrl, clientState.toString("utf8"));
      } finally {
        clientState.fill(0);
      }
    });

    switch (outcome.kind) {
      case "ok": {
        if (outcome.value === null) {
          await update(webinarId, {
            state: "pending",
            provider_subscription_id: null,
            expires_at: null,
            last_error: "The provider no longer knew the subscription; subscribing anew",
          });
          return again(webinarId, 0);
        }
        const { subscriptionId, expiresAt: next } = outcome.value;
        await update(webinarId, {
          state: "active",
          provider_subscription_id: subscriptionId,
          expires_at: next,
          renewed_at: new Date(),
          attempts: 0,
          last_error: null,
        });
        return again(webinarId, Math.max(30, (next.getTime() - Date.now() - RENEW_BEFORE_MS) / 1000));
      }
      case "held":
        await update(webinarId, { state: "held", last_error: outcome.reason });
        return again(webinarId, HELD_RECHECK_SECONDS);
      case "deferred":
        await update(webinarId, { last_error: outcome.reason });
        return again(webinarId, outcome.afterSeconds);
      case "retry":
      case "failed":
        // Visible on the row; retried with back-off while the window lasts. A subscription
        // still valid stays "active" while its renewal is retried.
        await update(webinarId, {
          state: valid ? "active" : "failed",
          attempts: attempt,
          last_error: `${action === "renew" ? "Renewal" : "Subscription"} failed: ${outcome.reason}`,
        });
        return again(webinarId, backoff(attempt));
    }
  }

  /** The clientStates of a configuration's live subscriptions, opened for one webhook check. */
  async function clientStates(configurationId: string): Promise<string[]> {
    const rows = await db
      .selectFrom("webhook_subscriptions")
      .select(["webinar_id", "organization_id", "configuration_id", "client_state"])
      .where("configuration_id", "=", configurationId)
      .where("state", "<>", "ended")
      .execute();
    const out: string[] = [];
    for (const row of rows) {
      const value = await envelope.open(row.client_state, clientStateContext(row));
      out.push(value.toString("utf8"));
      value.fill(0);
    }
    return out;
  }

  return { handle, clientStates, ensure: (webinarId: string) => again(webinarId, 0) };
}

export type SubscriptionKeeper = ReturnType<typeof createSubscriptionKeeper>;
