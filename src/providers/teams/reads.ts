/**
 * The read side of the Teams adapter: OData paging, the webinar's join link (cached), registration
 * lookups by e-mail, the walk sessions → attendance reports → attendance records, and the
 * adapter's read paths built on them (`teamsReadPaths`).
 */
import type { ZodType } from "zod";
import { EVENT_CACHE_TTL_MS, TtlCache } from "../cache.ts";
import type { AttendancePage, ProviderRegistrant, WebinarProvider } from "../contract.ts";
import { ProviderError } from "../contract.ts";
import { isProviderError } from "../http.ts";
import type { TeamsProvider } from "./adapter.ts";
import { type GraphClient, type TeamsAccount, teamsAccount } from "./client.ts";
import {
  type EventRef,
  eventPath,
  eventRef,
  HOLDING,
  odataString,
  requireWebinar,
  sumAttendance,
} from "./mapping.ts";
import { listTeamsRegistrants } from "./registrant-list.ts";
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
    return this.joinUrls.load(this.cacheKey(a, ref), async () => {
      const sessions = await this.listAll(
        a,
        "list sessions",
        `${eventPath(ref)}/sessions`,
        virtualEventSession,
      );
      return sessions.find((s) => s.joinWebUrl)?.joinWebUrl ?? null;
    });
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

type TeamsReadPaths = Pick<TeamsProvider, "getRegistration"> &
  Required<
    Pick<WebinarProvider, "listRegistrants" | "findRegistrantByEmail" | "listAttendance" | "recordingOf">
  >;

/**
 * The adapter's read paths: registrant lists and lookups, attendance, the on-demand link, and
 * one registration as a webhook event (`getRegistration`, see webhook.ts).
 */
export function teamsReadPaths(client: GraphClient, reads: GraphReads): TeamsReadPaths {
  return {
    listRegistrants: (account, providerWebinarId, cursor) =>
      listTeamsRegistrants(client, account, providerWebinarId, cursor),

    async findRegistrantByEmail(account, providerWebinarId, email): Promise<ProviderRegistrant | null> {
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      if (ref.collection === "townhalls") return null;
      const regs = await reads.registrationsByEmail(a, ref, email.trim());
      const found =
        regs.find((r) => r.status === "registered") ?? regs.find((r) => HOLDING.has(r.status ?? ""));
      if (!found) return null;
      return {
        providerRegistrantId: found.id,
        email: found.email ?? email,
        joinUrl: await reads.joinUrl(a, ref),
      };
    },

    async listAttendance(account, providerWebinarId, cursor): Promise<AttendancePage> {
      // One page holds everyone: a person's seconds must be summed over all reports before the
      // engine stores them (it overwrites per page), so there is no later page to point to.
      if (cursor !== null) return { records: [], nextCursor: null };
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      const records = await reads.attendanceRecords(a, ref);
      return { records: sumAttendance(records), nextCursor: null };
    },

    async recordingOf(account, providerWebinarId) {
      const url = await reads.videoOnDemandUrl(teamsAccount(account), eventRef(providerWebinarId));
      return url ? { url, kind: "on_demand", availableUntil: null } : null;
    },

    async getRegistration(account, providerWebinarId, registrationId) {
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      requireWebinar(ref);
      let reg: GraphRegistration;
      try {
        reg = await client.call(a, {
          op: "get registration",
          method: "GET",
          path: `${eventPath(ref)}/registrations/${encodeURIComponent(registrationId)}`,
          schema: virtualEventRegistration,
        });
      } catch (err) {
        if (isProviderError(err, "not_found")) return null;
        throw err;
      }
      if (!HOLDING.has(reg.status ?? "")) {
        return {
          type: "registrant.cancelled",
          providerWebinarId,
          providerRegistrantId: reg.id,
          email: reg.email ?? null,
        };
      }
      if (!reg.email) return null;
      return {
        type: "registrant.upserted",
        providerWebinarId,
        registrant: {
          providerRegistrantId: reg.id,
          email: reg.email,
          joinUrl: await reads.joinUrl(a, ref),
          firstName: reg.firstName ?? null,
          lastName: reg.lastName ?? null,
        },
      };
    },
  };
}
