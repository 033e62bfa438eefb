import type { ProviderAccount, RegistrantListPage } from "../contract.ts";
import { listedRegistrant } from "../registrant-list.ts";
import type { ZoomClient } from "./client.ts";
import { webinarPath } from "./mapping.ts";
import { zoomRegistrantList } from "./schemas.ts";

/** Zoom's largest page (`page_size` maximum, docs/providers/zoom.md). */
export const ZOOM_REGISTRANT_PAGE = 300;
/**
 * The statuses read, in order: approved people hold a place; denied ones are cancelled (Zoom's
 * `cancel` action lists the registrant as denied). Pending (awaiting approval) are not read:
 * our webinars approve automatically, and a pending person holds no place yet.
 */
const STATUSES = ["approved", "denied"] as const;

/**
 * One page of `GET /webinars/{id}/registrants?status=…&page_size&next_page_token`. The cursor
 * is "<status>:<next_page_token>": the approved list is read to its end, then the denied one.
 * A token lives 15 minutes, so a cursor is only good within one reconciliation.
 */
export async function listZoomRegistrants(
  client: ZoomClient,
  account: ProviderAccount,
  webinarId: string,
  cursor: string | null,
): Promise<RegistrantListPage> {
  const [rawStatus, token] = cursor ? splitCursor(cursor) : [STATUSES[0], ""];
  const status = STATUSES.find((s) => s === rawStatus) ?? STATUSES[0];
  const res = await client.call(account, {
    op: "list registrants",
    method: "GET",
    path: `${webinarPath(webinarId)}/registrants`,
    query: { status, page_size: String(ZOOM_REGISTRANT_PAGE), next_page_token: token || undefined },
    schema: zoomRegistrantList,
  });
  const registrants = (res.registrants ?? []).map((r) =>
    listedRegistrant({
      providerRegistrantId: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      company: r.org,
      jobTitle: r.job_title,
      joinUrl: r.join_url,
      status: status === "approved" ? "registered" : "cancelled",
    }),
  );
  const next = res.next_page_token;
  if (next) return { registrants, nextCursor: `${status}:${next}` };
  const following = STATUSES[STATUSES.indexOf(status) + 1];
  return { registrants, nextCursor: following ? `${following}:` : null };
}

function splitCursor(cursor: string): [string, string] {
  const i = cursor.indexOf(":");
  return i < 0 ? [cursor, ""] : [cursor.slice(0, i), cursor.slice(i + 1)];
}
