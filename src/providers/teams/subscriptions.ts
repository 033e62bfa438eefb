/**
 * Graph subscriptions for one webinar (resources/subscription.md,
 * concepts/changenotifications-for-virtualevent.md). A webinar needs two: its registrations
 * (`created,updated`) and its attendance reports (`created`); a town hall only the latter. The
 * contract keeps one subscription id per webinar, so ours is the Graph ids joined by a comma
 * (Graph ids are GUIDs and never contain one); renewal PATCHes each.
 */
import { ProviderError } from "../contract.ts";
import type { GraphClient, TeamsAccount } from "./client.ts";
import { type EventRef, eventPath } from "./mapping.ts";
import { subscription } from "./schemas.ts";
import { MAX_CLIENT_STATE, SUBSCRIPTION_ID_SEPARATOR, SUBSCRIPTION_LIFETIME_MS } from "./webhook.ts";

function resources(ref: EventRef): { resource: string; changeType: string }[] {
  const base = eventPath(ref).slice(1); // Graph wants the resource without the leading slash
  const attendance = { resource: `${base}/getAttendanceReports`, changeType: "created" };
  if (ref.collection === "townhalls") return [attendance];
  return [{ resource: `${base}/registrations`, changeType: "created,updated" }, attendance];
}

export async function createSubscriptions(
  client: GraphClient,
  a: TeamsAccount,
  ref: EventRef,
  notificationUrl: string,
  clientState: string,
): Promise<{ subscriptionId: string; expiresAt: Date }> {
  if (clientState.length === 0 || clientState.length > MAX_CLIENT_STATE) {
    throw new ProviderError("invalid", `Graph clientState must be 1 to ${MAX_CLIENT_STATE} characters`);
  }
  let url: URL;
  try {
    url = new URL(notificationUrl);
  } catch {
    throw new ProviderError("invalid", "notificationUrl is not a URL");
  }
  const created: { id: string; expiresAt: Date }[] = [];
  try {
    for (const r of resources(ref)) {
      const sub = await client.call(a, {
        op: "create subscription",
        method: "POST",
        path: "/subscriptions",
        body: {
          changeType: r.changeType,
          notificationUrl: url.toString(),
          // Required for Teams resources when the subscription lives over an hour; the same
          // route reads both kinds (lifecycle notifications carry `lifecycleEvent`).
          lifecycleNotificationUrl: url.toString(),
          resource: r.resource,
          expirationDateTime: new Date(Date.now() + SUBSCRIPTION_LIFETIME_MS).toISOString(),
          clientState,
        },
        schema: subscription,
      });
      created.push({ id: sub.id, expiresAt: sub.expirationDateTime });
    }
  } catch (err) {
    // Half a pair is of no use to the caller, who will try again: remove what was made.
    for (const c of created) {
      await client
        .call(a, {
          op: "delete subscription",
          method: "DELETE",
          path: `/subscriptions/${encodeURIComponent(c.id)}`,
        })
        .catch(() => undefined);
    }
    throw err;
  }
  return {
    subscriptionId: created.map((c) => c.id).join(SUBSCRIPTION_ID_SEPARATOR),
    expiresAt: new Date(Math.min(...created.map((c) => c.expiresAt.getTime()))),
  };
}

export async function renewSubscriptions(
  client: GraphClient,
  a: TeamsAccount,
  subscriptionId: string,
): Promise<{ expiresAt: Date }> {
  const ids = subscriptionId.split(SUBSCRIPTION_ID_SEPARATOR).filter((s) => s !== "");
  if (ids.length === 0 || ids.some((id) => !/^[0-9A-Za-z-]{1,100}$/.test(id))) {
    throw new ProviderError("invalid", "Teams subscription id has an unexpected format");
  }
  let expiresAt = Number.POSITIVE_INFINITY;
  for (const id of ids) {
    // A 404 (expired or removed at Graph) surfaces as not_found: the caller subscribes anew.
    const sub = await client.call(a, {
      op: "renew subscription",
      method: "PATCH",
      path: `/subscriptions/${id}`,
      body: { expirationDateTime: new Date(Date.now() + SUBSCRIPTION_LIFETIME_MS).toISOString() },
      schema: subscription,
    });
    expiresAt = Math.min(expiresAt, sub.expirationDateTime.getTime());
  }
  return { expiresAt: new Date(expiresAt) };
}
