/**
 * GoTo Webinar (REST API v2) implementation of the provider contract. Vendor facts: docs/providers/goto.md
 * and specs/goto-webinar/. Notable GoTo traits handled here:
 * - OAuth refresh tokens → 60-minute access tokens, cached per account (token.ts);
 * - an invalid or expired token is a 403 (not 401), told apart from a permission 403 by its body;
 * - keys are int64 above 2^53, kept as strings end to end (json.ts);
 * - 10 requests per second, 429 without Retry-After (client.ts paces);
 * - registrants get a personal joinUrl; a duplicate email is a 409 without the registrant, so it
 *   is looked up and adopted; there is no bulk registration;
 * - attendance is per past session: sessions → attendees, summed per person.
 *
 * Organizer key: the `organizerKey` setting is authoritative (GoTo's current token answer has no
 * organizer_key). When the token answer does carry one (older answers did) it must match, else the
 * refresh token belongs to someone else and the account needs re-authorization.
 */

import { EVENT_CACHE_TTL_MS, TtlCache } from "../cache.ts";
import type {
  AttendancePage,
  CredentialCheck,
  ProviderAccount,
  ProviderRegistrant,
  WebinarProvider,
} from "../contract.ts";
import { credentialCheckByRead, ProviderError } from "../contract.ts";
import { erasureResult, forgetInEachWebinar, RETAINED_BY_PROVIDER } from "../erasure.ts";
import { isProviderError } from "../http.ts";
import { hasReference } from "../reference.ts";
import { GotoClient } from "./client.ts";
import { aggregateAttendance, invalid, registrantBody, requireKey, webinarBody } from "./mapping.ts";
import { listGotoRegistrants } from "./registrant-list.ts";
import { gotoResponses } from "./responses.ts";
import {
  GOTO_WEBINAR_TYPES,
  type GotoAttendee,
  type GotoRecordingAssets,
  type GotoRegistrationQuestion,
  gotoAttendees,
  gotoCreatedWebinar,
  gotoRecordingAssets,
  gotoRegistrantCreated,
  gotoRegistrantPage,
  gotoRegistrationFields,
  gotoSessionPage,
  gotoWebinarList,
} from "./schemas.ts";
import { accountRef, GOTO_CREDENTIAL_FIELDS, GotoTokenManager } from "./token.ts";

export type GotoProviderOptions = {
  apiUrl?: string;
  authUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

/** How far from the asked start a webinar found by our reference may lie (GoTo lists by time). */
const LOOKUP_WINDOW_MS = 183 * 86_400_000;

export const GOTO_DEFAULT_API_URL = "https://api.getgo.com/G2W/rest/v2";
export const GOTO_DEFAULT_AUTH_URL = "https://authentication.logmeininc.com";

/** Largest page GoTo serves (`size` / `limit` maximum 200). */
const PAGE_SIZE = 200;
const TIMEOUT_MS = 15_000;

export function createGotoProvider(options: GotoProviderOptions = {}): WebinarProvider {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const tokens = new GotoTokenManager({
    tokenUrl: `${(options.authUrl ?? GOTO_DEFAULT_AUTH_URL).replace(/\/+$/, "")}/oauth/token`,
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    fetch: fetchImpl,
  });
  const client = new GotoClient({
    apiUrl: (options.apiUrl ?? GOTO_DEFAULT_API_URL).replace(/\/+$/, ""),
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    fetch: fetchImpl,
    tokens,
  });
  const webinarPath = (key: string) => `/webinars/${requireKey(key, "webinarKey")}`;

  const registrationQuestions = new TtlCache<GotoRegistrationQuestion[]>(EVENT_CACHE_TTL_MS);

  /** The webinar's custom registration questions (getRegistrationFields), cached a while. */
  async function questionsOf(account: ProviderAccount, webinarKey: string) {
    return registrationQuestions.load(`${accountRef(account).key}:${webinarKey}`, async () => {
      const res = await client.call(account, {
        op: "get registration fields",
        method: "GET",
        path: `${webinarPath(webinarKey)}/registrants/fields`,
        schema: gotoRegistrationFields,
      });
      return res.questions;
    });
  }

  async function findRegistrant(
    account: ProviderAccount,
    webinarKey: string,
    email: string,
  ): Promise<ProviderRegistrant | null> {
    const wanted = email.trim().toLowerCase();
    for (let page = 0; ; page++) {
      const res = await client.call(account, {
        op: "list registrants",
        method: "GET",
        path: `${webinarPath(webinarKey)}/registrants`,
        query: { page: String(page), limit: String(PAGE_SIZE) },
        schema: gotoRegistrantPage,
      });
      const hit = res.data.find((r) => r.email.trim().toLowerCase() === wanted);
      if (hit)
        return { providerRegistrantId: hit.registrantKey, email: hit.email, joinUrl: hit.joinUrl ?? null };
      if (res.data.length === 0 || (page + 1) * res.limit >= res.total) return null;
    }
  }

  const provider: WebinarProvider = {
    kind: "goto",
    credentialFields: GOTO_CREDENTIAL_FIELDS,

    checkCredentials(account): Promise<CredentialCheck> {
      // Cheapest authenticated read: one row of the organizer's webinars around now.
      return credentialCheckByRead("GoTo accepted the credentials", () => {
        const now = Date.now();
        return client.call(account, {
          op: "check credentials",
          method: "GET",
          path: "/webinars",
          query: {
            fromTime: new Date(now - 86_400_000).toISOString(),
            toTime: new Date(now + 86_400_000).toISOString(),
            page: "0",
            size: "1",
          },
          schema: gotoWebinarList,
        });
      });
    },

    async createWebinar(account, spec) {
      const res = await client.call(account, {
        op: "create webinar",
        method: "POST",
        path: "/webinars",
        json: webinarBody(spec, true),
        schema: gotoCreatedWebinar,
      });
      // GoTo has no audience URL shared by everyone: each registrant gets a personal joinUrl.
      return { providerWebinarId: res.webinarKey, joinUrl: null };
    },

    async findWebinarByReference(account, reference) {
      // The organizer's webinars whose times fall within half a year of the start we asked for
      // (GoTo lists by webinar time only), every page; ours has the reference as its last line.
      const at = reference.startsAt.getTime();
      for (let page = 0; ; page++) {
        const res = await client.call(account, {
          op: "list webinars",
          method: "GET",
          path: "/webinars",
          query: {
            fromTime: new Date(at - LOOKUP_WINDOW_MS).toISOString(),
            toTime: new Date(at + LOOKUP_WINDOW_MS).toISOString(),
            page: String(page),
            size: "200",
          },
          schema: gotoWebinarList,
        });
        const hit = res._embedded?.webinars.find((w) => hasReference(w.description, reference.externalRef));
        if (hit) return { providerWebinarId: hit.webinarKey, joinUrl: null };
        if (page + 1 >= res.page.totalPages) return null;
      }
    },

    async updateWebinar(account, providerWebinarId, spec) {
      await client.call(account, {
        op: "update webinar",
        method: "PUT",
        path: webinarPath(providerWebinarId),
        json: webinarBody(spec, false),
        schema: null,
      });
    },

    async deleteWebinar(account, providerWebinarId) {
      try {
        await client.call(account, {
          op: "cancel webinar",
          method: "DELETE",
          path: webinarPath(providerWebinarId),
          query: { sendCancellationEmails: "false" },
          schema: null,
        });
      } catch (err) {
        if (isProviderError(err, "not_found")) return; // already cancelled: the outcome we wanted
        if (isProviderError(err, "conflict")) {
          // 409 "Webinar is in session": it can be cancelled once the session ends, so retry later.
          throw new ProviderError("transient", "GoTo cannot cancel a webinar while it is in session", {
            status: 409,
          });
        }
        throw err;
      }
    },

    async register(account, providerWebinarId, person) {
      try {
        const res = await client.call(account, {
          op: "register",
          method: "POST",
          path: `${webinarPath(providerWebinarId)}/registrants`,
          query: { resendConfirmation: "false" },
          // application/json selects the registration version that takes organization and jobTitle.
          headers: { accept: "application/json" },
          json: {
            ...registrantBody(person),
            ...(person.answers?.length && {
              responses: gotoResponses(person.answers, await questionsOf(account, providerWebinarId)),
            }),
          },
          schema: gotoRegistrantCreated,
        });
        return { providerRegistrantId: res.registrantKey, email: person.email, joinUrl: res.joinUrl };
      } catch (err) {
        if (!isProviderError(err, "conflict")) throw err;
        // 409 "The user is already registered" returns no registrant: find and adopt it.
        const existing = await findRegistrant(account, providerWebinarId, person.email);
        if (existing) return existing;
        throw err;
      }
    },

    async cancelRegistration(account, providerWebinarId, registrant) {
      let key: string | null = /^\d{1,19}$/.test(registrant.providerRegistrantId)
        ? registrant.providerRegistrantId
        : null;
      if (key === null)
        key =
          (await findRegistrant(account, providerWebinarId, registrant.email))?.providerRegistrantId ?? null;
      if (key === null) return;
      try {
        await client.call(account, {
          op: "delete registrant",
          method: "DELETE",
          path: `${webinarPath(providerWebinarId)}/registrants/${key}`,
          schema: null,
        });
      } catch (err) {
        if (isProviderError(err, "not_found")) return; // already gone (or the webinar is): nothing left to cancel
        throw err;
      }
    },

    listRegistrants: (account, providerWebinarId, cursor) =>
      listGotoRegistrants(client, account, providerWebinarId, cursor),
    // Cancelling at GoTo deletes the registrant (ours: DELETE; theirs: the cancel link).
    cancelledRegistrantsVanish: true,

    async listAttendance(account, providerWebinarId, cursor): Promise<AttendancePage> {
      if (cursor !== null && !/^\d+$/.test(cursor))
        throw invalid("GoTo attendance cursor must be a session page number");
      const page = cursor === null ? 0 : Number(cursor);
      const sessions = await client.call(account, {
        op: "list sessions",
        method: "GET",
        path: `${webinarPath(providerWebinarId)}/sessions`,
        query: { page: String(page), size: String(PAGE_SIZE) },
        schema: gotoSessionPage,
      });
      // One page of sessions at a time; a person's seconds are summed over the sessions of the page.
      // (The engine overwrites a person's record per page, so a person spread over more than 200
      // sessions would keep only the last page's sum — far beyond any sequence GoTo allows in practice.)
      const rows: GotoAttendee[] = [];
      for (const s of sessions._embedded?.sessionInfoResources ?? []) {
        rows.push(
          ...(await client.call(account, {
            op: "list session attendees",
            method: "GET",
            path: `${webinarPath(providerWebinarId)}/sessions/${requireKey(s.sessionKey, "sessionKey")}/attendees`,
            schema: gotoAttendees,
          })),
        );
      }
      const more = page + 1 < sessions.page.totalPages;
      return { records: aggregateAttendance(rows), nextCursor: more ? String(page + 1) : null };
    },

    findRegistrantByEmail: (account, providerWebinarId, email) =>
      findRegistrant(account, providerWebinarId, email),

    /**
     * The share link of the webinar's newest online recording (recordingAssets, the newest by
     * createTime: a re-run session's recording replaces the first). The MP4 download is the
     * organizer's; the share page is what attendees are sent.
     */
    async recordingOf(account, providerWebinarId) {
      let res: GotoRecordingAssets;
      try {
        res = await client.call(account, {
          op: "recording assets",
          method: "GET",
          path: `${webinarPath(providerWebinarId)}/recordingAssets`,
          unscoped: true,
          query: { page: "0", limit: "200" },
          schema: gotoRecordingAssets,
        });
      } catch (err) {
        if (err instanceof ProviderError && err.kind === "not_found") return null;
        throw err;
      }
      const shared = res.data
        .filter((a) => a.recordingShareUrl)
        .sort((a, b) => (b.createTime ?? "").localeCompare(a.createTime ?? ""));
      const url = shared[0]?.recordingShareUrl;
      return url ? { url, kind: "recording", availableUntil: null } : null;
    },

    /**
     * Deletes the registrant in each webinar (the same DELETE as a cancellation). GoTo deletes
     * registrants of scheduled, future webinars only: a past webinar answers 400, and the
     * registrant stays there — reported, not retried.
     */
    async erasePerson(account, email, targets = []) {
      const refused = await forgetInEachWebinar(targets, (t) =>
        provider.cancelRegistration(account, t.providerWebinarId, {
          providerRegistrantId: t.providerRegistrantId ?? "",
          email,
        }),
      );
      return erasureResult(RETAINED_BY_PROVIDER.goto, refused, "The registrant record");
    },

    webinarTypes() {
      return GOTO_WEBINAR_TYPES.map((t) => ({ id: t.id, label: t.label }));
    },
  };
  return provider;
}
