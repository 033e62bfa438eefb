import { type ProviderAccount, ProviderError, type RegistrantListPage } from "../contract.ts";
import { listedRegistrant } from "../registrant-list.ts";
import type { GotoClient } from "./client.ts";
import { requireKey } from "./mapping.ts";
import { gotoRegistrantPage } from "./schemas.ts";

/** getAllRegistrantsForWebinar's largest `limit` (openapi.yml: maximum 200). */
export const GOTO_REGISTRANT_PAGE = 200;

/**
 * One page of `GET /organizers/{organizerKey}/webinars/{webinarKey}/registrants?page&limit`
 * (RegistrantPaginatedResponse; pages from 0). The cursor is the next page number. APPROVED and
 * WAITING people hold a place; DENIED ones do not. A registrant who cancels (or whom we cancel:
 * DELETE) is gone from the list, hence `cancelledRegistrantsVanish` on the GoTo adapter.
 */
export async function listGotoRegistrants(
  client: GotoClient,
  account: ProviderAccount,
  webinarKey: string,
  cursor: string | null,
): Promise<RegistrantListPage> {
  const page = cursor === null ? 0 : Number(cursor);
  if (!Number.isSafeInteger(page) || page < 0)
    throw new ProviderError("invalid", "bad GoTo registrant cursor");
  const res = await client.call(account, {
    op: "list registrants",
    method: "GET",
    path: `/webinars/${requireKey(webinarKey, "webinarKey")}/registrants`,
    query: { page: String(page), limit: String(GOTO_REGISTRANT_PAGE) },
    schema: gotoRegistrantPage,
  });
  const registrants = res.data.map((r) =>
    listedRegistrant({
      providerRegistrantId: r.registrantKey,
      email: r.email,
      firstName: r.firstName,
      lastName: r.lastName,
      joinUrl: r.joinUrl,
      status: r.status?.toUpperCase() === "DENIED" ? "cancelled" : "registered",
    }),
  );
  const last = res.data.length === 0 || (page + 1) * res.limit >= res.total;
  return { registrants, nextCursor: last ? null : String(page + 1) };
}
