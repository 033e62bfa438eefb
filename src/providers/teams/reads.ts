/**
 * The read side of the Teams adapter: OData paging, the webinar's join link (cached), registration
 * lookups by e-mail, and the walk sessions → attendance reports → attendance records.
 */
import type { ZodType } from "zod";
import { EVENT_CACHE_TTL_MS, TtlCache } from "../cache.ts";
import { ProviderError } from "../contract.ts";
import type { GraphClient, TeamsAccount } from "./client.ts";
import { type EventRef, eventPath, odataString } from "./mapping.ts";
import {
  attendanceRecord,
  attendanceReport,
  collection,
  type GraphAttendanceRecord,
  type GraphRegistration,
  virtualEventRegistration,
  virtualEventSession,
} from "./schemas.ts";

/** Safety bound on pages followed in one listing (a looping nextLink must not spin forever). */
const MAX_PAGES = 2000;

export class GraphReads {
  private readonly joinUrls = new TtlCache<string | null>(EVENT_CACHE_TTL_MS);

  constructor(private readonly client: GraphClient) {}

  private cacheKey(a: TeamsAccount, ref: EventRef): string {
    return `${a.tenantId}:${ref.collection}:${ref.graphId}`;
  }

  forget(a: TeamsAccount, ref: EventRef): void {
    this.joinUrls.deletePrefix(this.cacheKey(a, ref));
  }

  /** Every item of a Graph collection, following `@odata.nextLink`. */
  async listAll<T>(
    a: TeamsAccount,
    op: string,
    path: string,
    item: ZodType<T>,
    query?: Record<string, string>,
  ): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    let q = query;
    for (let page = 0; next !== undefined; page++) {
      if (page >= MAX_PAGES)
        throw new ProviderError("transient", `Microsoft Graph ${op} did not stop paging`);
      const res: { value: T[]; "@odata.nextLink"?: string | undefined } = await this.client.call(a, {
        op,
        method: "GET",
        path: next,
        ...(q ? { query: q } : {}),
        schema: collection(item),
      });
      out.push(...res.value);
      next = res["@odata.nextLink"];
      q = undefined; // a nextLink carries its own query
    }
    return out;
  }

  /** The session's `joinWebUrl`, shared by every attendee (Graph has no personal link). */
  async joinUrl(a: TeamsAccount, ref: EventRef): Promise<string | null> {
    const key = this.cacheKey(a, ref);
    const hit = this.joinUrls.get(key);
    if (hit !== undefined) return hit;
    const sessions = await this.listAll(
      a,
      "list sessions",
      `${eventPath(ref)}/sessions`,
      virtualEventSession,
    );
    const url = sessions.find((s) => s.joinWebUrl)?.joinWebUrl ?? null;
    this.joinUrls.set(key, url);
    return url;
  }

  /** The first session's video on demand (a Teams webinar is one session), once published. */
  async videoOnDemandUrl(a: TeamsAccount, ref: EventRef): Promise<string | null> {
    const sessions = await this.listAll(
      a,
      "list sessions",
      `${eventPath(ref)}/sessions`,
      virtualEventSession,
    );
    return sessions.find((s) => s.videoOnDemandWebUrl)?.videoOnDemandWebUrl ?? null;
  }

  async registrationsByEmail(a: TeamsAccount, ref: EventRef, email: string): Promise<GraphRegistration[]> {
    const all = await this.listAll(
      a,
      "find registration",
      `${eventPath(ref)}/registrations`,
      virtualEventRegistration,
      {
        $filter: `email eq ${odataString(email)}`,
      },
    );
    // The filter is Graph's; comparing here too guards against a server that ignores it.
    return all.filter((r) => r.email?.toLowerCase() === email.toLowerCase());
  }

  async attendanceRecords(a: TeamsAccount, ref: EventRef): Promise<GraphAttendanceRecord[]> {
    const records: GraphAttendanceRecord[] = [];
    const sessions = await this.listAll(
      a,
      "list sessions",
      `${eventPath(ref)}/sessions`,
      virtualEventSession,
    );
    for (const s of sessions) {
      const sessionPath = `${eventPath(ref)}/sessions/${encodeURIComponent(s.id)}`;
      const reports = await this.listAll(
        a,
        "list attendance reports",
        `${sessionPath}/attendanceReports`,
        attendanceReport,
      );
      for (const r of reports) {
        const path = `${sessionPath}/attendanceReports/${encodeURIComponent(r.id)}/attendanceRecords`;
        records.push(...(await this.listAll(a, "list attendance records", path, attendanceRecord)));
      }
    }
    return records;
  }
}
