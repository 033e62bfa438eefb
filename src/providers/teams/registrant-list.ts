import type { ProviderAccount, RegistrantListPage } from "../contract.ts";
import { ProviderError } from "../contract.ts";
import { listedRegistrant } from "../registrant-list.ts";
import { type GraphClient, teamsAccount } from "./client.ts";
import { eventPath, eventRef } from "./mapping.ts";
import { collection, virtualEventRegistration } from "./schemas.ts";

/** Statuses under which a person holds a place (as in the adapter); canceled and rejected do not. */
const HOLDING = new Set(["registered", "waitlisted", "pendingApproval"]);

/**
 * One page of `GET /solutions/virtualEvents/webinars/{id}/registrations` (Graph pages on its
 * own; the cursor is the `@odata.nextLink`, which the client follows only below the Graph base).
 * Town halls have no registrations in Graph: one empty page.
 */
export async function listTeamsRegistrants(
  client: GraphClient,
  account: ProviderAccount,
  providerWebinarId: string,
  cursor: string | null,
): Promise<RegistrantListPage> {
  const ref = eventRef(providerWebinarId);
  if (ref.collection === "townhalls") return { registrants: [], nextCursor: null };
  const res = await client.call(teamsAccount(account), {
    op: "list registrations",
    method: "GET",
    path: cursor ?? `${eventPath(ref)}/registrations`,
    schema: collection(virtualEventRegistration),
  });
  if (cursor !== null && res["@odata.nextLink"] === cursor)
    throw new ProviderError("transient", "Microsoft Graph returned the same next link again");
  const registrants = res.value.flatMap((r) =>
    r.email
      ? [
          listedRegistrant({
            providerRegistrantId: r.id,
            email: r.email,
            firstName: r.firstName,
            lastName: r.lastName,
            status: HOLDING.has(r.status ?? "") ? "registered" : "cancelled",
          }),
        ]
      : [],
  );
  return { registrants, nextCursor: res["@odata.nextLink"] ?? null };
}
