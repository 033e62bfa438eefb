/**
 * The read side of the ON24 adapter: the event's audience URL (cached), the event-level
 * attendee and registrant lists, a registrant by e-mail, and the on-demand link. The two
 * event-level lists have no documented paging, so they get a deadline of their own
 * (`listTimeoutMs`, adapter.ts).
 */
import { cachedRead, type TtlCache } from "../cache.ts";
import type { AttendancePage, ProviderAccount, ProviderRegistrant, WebinarProvider } from "../contract.ts";
import { ProviderError } from "../contract.ts";
import type { On24Client } from "./client.ts";
import {
  invalid,
  isKind,
  ON24_PAGE_SIZE,
  on24EventPath,
  requireNumericId,
  toAttendance,
  toRegistrant,
} from "./mapping.ts";
import { on24Recording } from "./recording.ts";
import { listOn24Registrants } from "./registrant-list.ts";
import {
  type On24RegistrantRecord,
  on24AttendeeList,
  on24EventMetadata,
  on24EventRegistrants,
  on24RegistrantByEmail,
} from "./schemas.ts";

export interface On24ReadDeps {
  client: On24Client;
  listTimeoutMs: number;
  /** The cache key of one event of one account (adapter.ts, which also clears these caches). */
  keyOf: (account: ProviderAccount, eventId: string) => string;
  audienceUrls: TtlCache<string | null>;
  names: TtlCache<Map<string, On24RegistrantRecord>>;
}

type On24ReadPaths = Required<
  Pick<WebinarProvider, "listRegistrants" | "listAttendance" | "findRegistrantByEmail" | "recordingOf">
>;

export function createOn24Reads(deps: On24ReadDeps) {
  const { client, listTimeoutMs, keyOf, audienceUrls, names } = deps;
  async function audienceUrl(account: ProviderAccount, eventId: string): Promise<string | null> {
    return audienceUrls.load(keyOf(account, eventId), async () => {
      const ev = await client.call(account, {
        op: "get event",
        method: "GET",
        path: on24EventPath(eventId),
        schema: on24EventMetadata,
      });
      if (ev.isactive === false) throw new ProviderError("not_found", "ON24 event is no longer active");
      return ev.audienceurl ?? null;
    });
  }

  /** Registrants of the event by eventuserid, to name attendees (the attendee record has no names). */
  async function registrantsById(
    account: ProviderAccount,
    eventId: string,
  ): Promise<Map<string, On24RegistrantRecord>> {
    // Unnamed attendees rather than no attendance when ON24 withholds the list (403).
    return cachedRead(names, keyOf(account, eventId), new Map(), async () => {
      const res = await client.call(account, {
        op: "list registrants",
        method: "GET",
        path: `${on24EventPath(eventId)}/registrant`,
        schema: on24EventRegistrants,
        timeoutMs: listTimeoutMs,
      });
      return new Map(res.registrants.map((r) => [r.eventuserid, r]));
    });
  }

  const paths: On24ReadPaths = {
    // One page: ON24 documents no paging for the event-level list (registrant-list.ts).
    listRegistrants: (account, providerWebinarId) =>
      listOn24Registrants(client, account, providerWebinarId, listTimeoutMs),

    async listAttendance(account, providerWebinarId, cursor): Promise<AttendancePage> {
      const offset = cursor === null ? 0 : Number(cursor);
      if (cursor !== null && !/^\d+$/.test(cursor))
        throw invalid("ON24 attendance cursor must be a page offset");
      const res = await client.call(account, {
        op: "list attendees",
        method: "GET",
        path: `${on24EventPath(providerWebinarId)}/attendee`,
        // Not in openapi.json for this list (ON24 ignores them); sent so that an answer with
        // pagecount, as the client-level lists give, is followed rather than cut at page one.
        query: { pageoffset: String(offset), itemsperpage: String(ON24_PAGE_SIZE) },
        schema: on24AttendeeList,
        timeoutMs: listTimeoutMs,
      });
      const paged = res.pagecount !== undefined;
      if (!paged && offset > 0) {
        // ON24 answered without paging, so offset 0 already returned every attendee.
        return { records: [], nextCursor: null };
      }
      const needNames = res.attendees.some((a) => a.firstname === undefined);
      const regs = needNames ? await registrantsById(account, providerWebinarId) : new Map();
      const records = res.attendees.map((a) => toAttendance(a, regs.get(a.eventuserid)));
      const current = res.currentpage ?? offset;
      const nextCursor = paged && current + 1 < (res.pagecount ?? 0) ? String(current + 1) : null;
      return { records, nextCursor };
    },

    async findRegistrantByEmail(account, providerWebinarId, email): Promise<ProviderRegistrant | null> {
      requireNumericId(providerWebinarId, "event id");
      let rec: On24RegistrantRecord;
      try {
        const res = await client.call(account, {
          op: "get registrant by email",
          method: "GET",
          path: `/registrant/${encodeURIComponent(email)}`,
          query: { eventid: providerWebinarId },
          schema: on24RegistrantByEmail,
        });
        rec = res.registrant;
      } catch (err) {
        if (isKind(err, "not_found")) return null;
        throw err;
      }
      if (rec.eventid !== undefined && rec.eventid !== providerWebinarId) return null;
      // Soft-deleted and forgotten people are not registered any more.
      if (rec.userstatus !== undefined && rec.userstatus !== "active") return null;
      return toRegistrant(rec.eventuserid, rec.email, await audienceUrl(account, providerWebinarId));
    },

    async recordingOf(account, providerWebinarId) {
      const ev = await client.call(account, {
        op: "get event",
        method: "GET",
        path: on24EventPath(providerWebinarId),
        schema: on24EventMetadata,
      });
      if (ev.isactive === false) return null;
      return on24Recording(ev);
    },
  };

  return { audienceUrl, paths };
}
