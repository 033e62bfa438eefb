/**
 * Graph subscriptions for one webinar (resources/subscription.md,
 * concepts/changenotifications-for-virtualevent.md). A webinar needs two: its registrations
 * (`created,updated`) and its attendance reports (`created`); a town hall only the latter. The
 * contract keeps one subscription id per webinar, so ours is the Graph ids joined by a comma
 * (Graph ids are GUIDs and never contain one); renewal PATCHes each.
 */

import { z } from "zod";
import { ProviderError } from "../contract.ts";
import type { GraphClient, TeamsAccount } from "./client.ts";
import { type EventRef, eventPath } from "./mapping.ts";
import { collection, subscription } from "./schemas.ts";

const subscriptionList = collection(
  z.looseObject({ id: z.string().min(1), resource: z.string().optional() }),
);

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
  const create = (r: { resource: string; changeType: string }) =>
    client.call(a, {
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
  const created: { id: string; expiresAt: Date }[] = [];
  try {
    for (const r of resources(ref)) {
      let sub: { id: string; expirationDateTime: Date };
      try {
        sub = await create(r);
      } catch (err) {
        // Graph keeps one subscription per app and webinar resource. One already there is ours
        // from an earlier attempt whose answer was lost, or one with an old clientState: replace it.
        if (!(err instanceof ProviderError && err.kind === "conflict")) throw err;
        await deleteExisting(client, a, r.resource);
        sub = await create(r);
      }
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

async function deleteExisting(client: GraphClient, a: TeamsAccount, resource: string): Promise<void> {
  let next: string | undefined = "/subscriptions";
  for (let page = 0; next !== undefined && page < 50; page++) {
    const res: z.infer<typeof subscriptionList> = await client.call(a, {
      op: "list subscriptions",
      method: "GET",
      path: next,
      schema: subscriptionList,
    });
    for (const s of res.value) {
      if (s.resource?.replace(/^\/+/, "").toLowerCase() !== resource.toLowerCase()) continue;
      await client
        .call(a, {
          op: "delete subscription",
          method: "DELETE",
          path: `/subscriptions/${encodeURIComponent(s.id)}`,
        })
        .catch((err) => {
          if (!(err instanceof ProviderError && err.kind === "not_found")) throw err;
        });
    }
    next = res["@odata.nextLink"];
  }
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
