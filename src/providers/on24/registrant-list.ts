import type { ProviderAccount, RegistrantListPage } from "../contract.ts";
import { listedRegistrant } from "../registrant-list.ts";
import type { On24Client } from "./client.ts";
import { requireNumericId } from "./mapping.ts";
import { on24EventRegistrants } from "./schemas.ts";

/**
 * Every registrant of an ON24 event: `GET /client/{clientId}/event/{eventId}/registrant`
 * (AnalyticsEventLevel.Registrants) with `userstatus=any`, which lists active, soft-deleted
 * (cancelled) and forgotten registrants. openapi.json gives this list no paging parameters
 * (only the client-level list has pageoffset/itemsperpage), so one answer holds everyone and
 * there is never a next page; it gets the long list deadline. Forgotten registrants (GDPR at
 * ON24) carry an overwritten address and are left out: nobody is brought back from erasure.
 */
export async function listOn24Registrants(
  client: On24Client,
  account: ProviderAccount,
  eventId: string,
  timeoutMs: number,
): Promise<RegistrantListPage> {
  const res = await client.call(account, {
    op: "list registrants",
    method: "GET",
    path: `/event/${requireNumericId(eventId, "event id")}/registrant`,
    query: { userstatus: "any" },
    schema: on24EventRegistrants,
    timeoutMs,
  });
  const registrants = res.registrants.flatMap((r) => {
    const status = (r.userstatus ?? "active").toLowerCase();
    if (status === "forgotten") return [];
    return [
      listedRegistrant({
        providerRegistrantId: r.eventuserid,
        email: r.email,
        firstName: r.firstname,
        lastName: r.lastname,
        company: r.company,
        jobTitle: r.jobtitle,
        status: status === "deleted" ? "cancelled" : "registered",
      }),
    ];
  });
  return { registrants, nextCursor: null };
}
