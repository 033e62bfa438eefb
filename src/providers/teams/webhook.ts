/**
 * Microsoft Graph change notifications for virtual events
 * (concepts/changenotifications-for-virtualevent.md, concepts/webhooks.md).
 *
 * What Graph sends and what we make of it:
 * - a validation handshake: `POST {notificationUrl}?validationToken=…`, answered 200 text/plain
 *   with the token within 10 s (on subscription create, for both notification URLs);
 * - `{value: [notification…]}` carrying ids only (`resource`, `resourceData.id`) and the
 *   subscription's `clientState`, our only proof of origin (no signature for basic notifications):
 *   a delivery with any unknown clientState is rejected as a whole;
 * - attendance-report and session notifications → `attendance.changed` (poll now);
 * - registration notifications carry no e-mail and no status, so none of the contract's
 *   registrant events can be built from them synchronously. They are accepted and produce no
 *   event; `getRegistration` in the adapter turns a registration id into the registrant event
 *   once the engine can resolve ids (see the README);
 * - lifecycle notifications: `missed` → `attendance.changed` (something may have been lost);
 *   `reauthorizationRequired` / `subscriptionRemoved` need the subscription renewed or made again,
 *   which the engine's renewal job does — no event.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { WebhookContext, WebhookEvent, WebhookOutcome, WebhookRequest } from "../contract.ts";
import { providerWebinarIdOf } from "./mapping.ts";
import { changeNotificationCollection } from "./schemas.ts";

/** Virtual-event subscriptions live at most one day (changenotifications-for-virtualevent.md). */
export const MAX_SUBSCRIPTION_MS = 24 * 60 * 60_000;
/** Asked-for lifetime: a minute short of the maximum, so clock skew never makes Graph refuse it. */
export const SUBSCRIPTION_LIFETIME_MS = MAX_SUBSCRIPTION_MS - 60_000;
/** Graph's limit on `clientState` (resources/subscription.md). */
export const MAX_CLIENT_STATE = 128;
/** Our one subscription id stands for several Graph subscriptions (registrations + attendance). */
export const SUBSCRIPTION_ID_SEPARATOR = ",";

const RESOURCE = /^\/?solutions\/virtualEvents\/(webinars|townhalls)\/([^/]+)(?:\/([^/?]+))?/i;

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function knownClientState(value: string | null | undefined, known: readonly string[]): boolean {
  if (!value) return false;
  const d = digest(value);
  // Compare every candidate in constant time; the sha256 makes lengths equal.
  let ok = false;
  for (const k of known) ok = timingSafeEqual(d, digest(k)) || ok;
  return ok;
}

export function handleGraphWebhook(request: WebhookRequest, context: WebhookContext): WebhookOutcome {
  const token = request.query.validationToken;
  if (token !== undefined) {
    // Graph URL-decodes nothing for us: the query parser already did; echo exactly that.
    return { kind: "respond", status: 200, contentType: "text/plain", body: token };
  }
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString("utf8"));
  } catch {
    return { kind: "rejected", reason: "body is not JSON" };
  }
  const parsed = changeNotificationCollection.safeParse(json);
  if (!parsed.success)
    return { kind: "rejected", reason: "body is not a Graph change notification collection" };
  if (parsed.data.value.length === 0) return { kind: "rejected", reason: "no notifications in the delivery" };
  for (const n of parsed.data.value) {
    if (!knownClientState(n.clientState, context.clientStates)) {
      return { kind: "rejected", reason: "clientState does not match a live subscription" };
    }
  }
  const events: WebhookEvent[] = [];
  const polled = new Set<string>();
  const poll = (providerWebinarId: string) => {
    if (polled.has(providerWebinarId)) return;
    polled.add(providerWebinarId);
    events.push({ type: "attendance.changed", providerWebinarId });
  };
  for (const n of parsed.data.value) {
    const m = RESOURCE.exec(n.resource ?? "") ?? RESOURCE.exec(n.resourceData?.id ?? "");
    if (!m) continue;
    const collection = m[1]?.toLowerCase() === "townhalls" ? "townhalls" : "webinars";
    const webinarId = providerWebinarIdOf(collection, decodeURIComponent(m[2] ?? ""));
    const child = (m[3] ?? "").toLowerCase();
    if (n.lifecycleEvent) {
      if (n.lifecycleEvent === "missed") poll(webinarId);
      continue;
    }
    if (child === "getattendancereports" || child === "sessions" || child === "attendancereports")
      poll(webinarId);
  }
  return { kind: "events", events };
}

/** The id of the registration a notification is about, for callers resolving registration changes. */
export function registrationIdOf(resourceDataId: string): string | null {
  const m = /\/registrations\/([^/?]+)$/i.exec(resourceDataId);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}
