/**
 * Zoom Webinars (REST API v2) implementation of the provider contract; vendor facts in
 * docs/providers/zoom.md, field names from the official SDK types (@zoom/rivet meetings.d.ts). Traits:
 * - Server-to-Server OAuth, one shared token per account (token.ts);
 * - registrants get a personal `join_url`; up to 30 at once through `batch_registrants`;
 * - cancelling is the registrant status endpoint with action "cancel";
 * - attendance is the participants report, one row per join segment, summed per person.
 */
import type {
  AttendancePage,
  CredentialCheck,
  ProviderAccount,
  ProviderRegistrant,
  RegistrantSpec,
  RegistrationQuestionSpec,
  WebinarProvider,
} from "../contract.ts";
import { credentialCheckByRead, ProviderError } from "../contract.ts";
import { erasureResult, forgetInEachWebinar, RETAINED_BY_PROVIDER } from "../erasure.ts";
import { hasReference } from "../reference.ts";
import { isPerRegistrantLimit, ZoomClient } from "./client.ts";
import { registrantBody, sumParticipants, webinarBody, webinarPath, zoomRecording } from "./mapping.ts";
import { registrationQuestionsBody } from "./questions.ts";
import { listZoomRegistrants } from "./registrant-list.ts";
import {
  ZOOM_WEBINAR_TYPES,
  type ZoomParticipant,
  zoomAddedRegistrant,
  zoomAnyObject,
  zoomBatchRegistrants,
  zoomCreatedWebinar,
  zoomParticipantReport,
  zoomRecordings,
  zoomRegistrantList,
  zoomWebinarList,
} from "./schemas.ts";
import { ZOOM_CREDENTIAL_FIELDS, ZoomTokenManager } from "./token.ts";
import { handleZoomWebhook } from "./webhooks.ts";

export type ZoomProviderOptions = {
  apiUrl?: string;
  oauthUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

export const ZOOM_DEFAULT_API_URL = "https://api.zoom.us/v2";
export const ZOOM_DEFAULT_OAUTH_URL = "https://zoom.us";
/** Lists: Zoom's largest page. */
const PAGE_SIZE = "300";
/** `batch_registrants` takes at most 30 registrants per call. */
export const BATCH_MAX = 30;
/** A guard against a report that never ends (a provider bug would otherwise loop forever). */
const MAX_PAGES = 500;
const TIMEOUT_MS = 15_000;

const sameEmail = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function createZoomProvider(options: ZoomProviderOptions = {}): WebinarProvider {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const tokens = new ZoomTokenManager({
    oauthUrl: options.oauthUrl ?? ZOOM_DEFAULT_OAUTH_URL,
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    fetch: fetchFn,
  });
  const client = new ZoomClient(
    {
      apiUrl: options.apiUrl ?? ZOOM_DEFAULT_API_URL,
      timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
      fetch: fetchFn,
    },
    tokens,
  );

  /** The settings' host user ("me" = the user who owns the Server-to-Server app). */
  const hostUser = (account: ProviderAccount) =>
    encodeURIComponent(account.settings.hostUser?.trim() || "me");

  /** The webinar's registration questions (Zoom matches answers to them by title). */
  async function setQuestions(
    account: ProviderAccount,
    webinarId: string,
    questions: RegistrationQuestionSpec[],
  ) {
    await client.call(account, {
      op: "set registration questions",
      method: "PATCH",
      path: `${webinarPath(webinarId)}/registrants/questions`,
      json: registrationQuestionsBody(questions),
      schema: null,
    });
  }

  async function findRegistrant(
    account: ProviderAccount,
    webinarId: string,
    email: string,
    status: "approved" | "pending" | "denied" = "approved",
  ): Promise<ProviderRegistrant | null> {
    let token: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const res = await client.call(account, {
        op: "list registrants",
        method: "GET",
        path: `${webinarPath(webinarId)}/registrants`,
        query: { status, page_size: PAGE_SIZE, next_page_token: token },
        schema: zoomRegistrantList,
      });
      const hit = res.registrants?.find((r) => sameEmail(r.email, email));
      if (hit) return { providerRegistrantId: hit.id, email: hit.email, joinUrl: hit.join_url ?? null };
      token = res.next_page_token || undefined;
      if (!token) return null;
    }
    return null;
  }

  const provider: WebinarProvider = {
    kind: "zoom",
    credentialFields: ZOOM_CREDENTIAL_FIELDS,
    bulkRegisterMax: BATCH_MAX,

    checkCredentials(account): Promise<CredentialCheck> {
      // A token proves the app credentials; one row of the host's webinars proves the token
      // works with the webinar scopes we need (the app may lack user scopes).
      return credentialCheckByRead("Zoom accepted the app credentials", () =>
        client.call(account, {
          op: "check credentials",
          method: "GET",
          path: `/users/${hostUser(account)}/webinars`,
          query: { page_size: "1" },
          schema: zoomAnyObject,
        }),
      );
    },

    async createWebinar(account, spec) {
      const res = await client.call(account, {
        op: "create webinar",
        method: "POST",
        path: `/users/${hostUser(account)}/webinars`,
        json: webinarBody(spec, true),
        schema: zoomCreatedWebinar,
      });
      if (spec.questions?.length) await setQuestions(account, res.id, spec.questions);
      return { providerWebinarId: res.id, joinUrl: res.join_url ?? null };
    },

    async findWebinarByReference(account, reference) {
      // The host's scheduled webinars, every page: the listing has no filter of ours, but it
      // returns the agenda, whose last line is our reference.
      let token: string | undefined;
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const res = await client.call(account, {
          op: "list webinars",
          method: "GET",
          path: `/users/${hostUser(account)}/webinars`,
          query: { type: "scheduled", page_size: PAGE_SIZE, next_page_token: token },
          schema: zoomWebinarList,
        });
        const hit = res.webinars?.find((w) => hasReference(w.agenda, reference.externalRef));
        if (hit) return { providerWebinarId: hit.id, joinUrl: hit.join_url ?? null };
        token = res.next_page_token || undefined;
        if (!token) return null;
      }
      return null;
    },

    async updateWebinar(account, providerWebinarId, spec) {
      await client.call(account, {
        op: "update webinar",
        method: "PATCH",
        path: webinarPath(providerWebinarId),
        json: webinarBody(spec, false),
        schema: null,
      });
      // The whole list each time: a question removed here goes at Zoom too.
      // Only when the event has questions: a webinar without them needs no extra call (and a
      // faulting one held the webinar back in the batch fault test).
      if (spec.questions?.length) await setQuestions(account, providerWebinarId, spec.questions);
    },

    async deleteWebinar(account, providerWebinarId) {
      try {
        await client.call(account, {
          op: "delete webinar",
          method: "DELETE",
          path: webinarPath(providerWebinarId),
          query: { cancel_webinar_reminder: "true" },
          schema: null,
        });
      } catch (err) {
        // 404 code 3001 "Webinar does not exist": already deleted, which is what we wanted.
        if (!(err instanceof ProviderError && err.kind === "not_found")) throw err;
      }
    },

    async register(account, providerWebinarId, person: RegistrantSpec) {
      try {
        const res = await client.call(account, {
          op: "register",
          method: "POST",
          path: `${webinarPath(providerWebinarId)}/registrants`,
          json: registrantBody(person),
          schema: zoomAddedRegistrant,
        });
        return {
          providerRegistrantId: res.registrant_id,
          email: person.email,
          joinUrl: res.join_url ?? null,
        };
      } catch (err) {
        // The per-registrant daily cap is mostly met by repeats of a registration that did
        // succeed: adopt the existing registrant instead of waiting for midnight.
        if (!isPerRegistrantLimit(err)) throw err;
        const existing = await findRegistrant(account, providerWebinarId, person.email);
        if (existing) return existing;
        throw err;
      }
    },

    async bulkRegister(account, providerWebinarId, people) {
      // The batch takes no answers (WebinarsPerformBatchRegistration*): people with answers are
      // left out of it, so each is registered one by one with their custom_questions.
      people = people.filter((p) => !p.answers?.length);
      if (people.length === 0) return [];
      if (people.length > BATCH_MAX) {
        throw new ProviderError("invalid", `Zoom batch registration takes at most ${BATCH_MAX} people`);
      }
      let res: Awaited<ReturnType<typeof zoomBatchRegistrants.parse>>;
      try {
        res = await client.call(account, {
          op: "batch register",
          method: "POST",
          path: `${webinarPath(providerWebinarId)}/batch_registrants`,
          json: {
            auto_approve: true,
            registrants: people.map((p) => {
              const b = registrantBody(p);
              return { email: b.email, first_name: b.first_name, last_name: b.last_name };
            }),
          },
          schema: zoomBatchRegistrants,
        });
      } catch (err) {
        // One capped person refuses the whole batch: answer "nobody", so everyone is
        // registered one by one and only that person waits for midnight.
        if (isPerRegistrantLimit(err)) return [];
        throw err;
      }
      const out: ProviderRegistrant[] = [];
      for (const p of people) {
        const hit = res.registrants?.find((r) => r.email !== undefined && sameEmail(r.email, p.email));
        if (hit?.registrant_id) {
          out.push({
            providerRegistrantId: hit.registrant_id,
            email: p.email,
            joinUrl: hit.join_url ?? null,
          });
        }
      }
      return out;
    },

    async cancelRegistration(account, providerWebinarId, registrant) {
      try {
        await client.call(account, {
          op: "cancel registration",
          method: "PUT",
          path: `${webinarPath(providerWebinarId)}/registrants/status`,
          json: {
            action: "cancel",
            registrants: [{ id: registrant.providerRegistrantId, email: registrant.email }],
          },
          schema: null,
        });
      } catch (err) {
        // The webinar or the registrant is gone: nothing is left to cancel.
        if (err instanceof ProviderError && err.kind === "not_found") return;
        throw err;
      }
    },

    /**
     * Reads the whole participants report in one call and returns it with `nextCursor: null`.
     * Zoom's rows are join segments in no particular order, so one person's segments can straddle
     * pages; the engine stores each record as the person's total, so summing per page would store
     * partial totals. A cursor, if given, is a `next_page_token` to resume from. next_page_token
     * also expires after 15 minutes, another reason not to hand it to a later job.
     */
    listRegistrants: (account, providerWebinarId, cursor) =>
      listZoomRegistrants(client, account, providerWebinarId, cursor),

    async listAttendance(account, providerWebinarId, cursor): Promise<AttendancePage> {
      const rows: ZoomParticipant[] = [];
      let token = cursor ?? undefined;
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const res = await client.call(account, {
          op: "participants report",
          method: "GET",
          path: `/report${webinarPath(providerWebinarId)}/participants`,
          query: { page_size: PAGE_SIZE, next_page_token: token, include_fields: "registrant_id" },
          schema: zoomParticipantReport,
        });
        rows.push(...(res.participants ?? []));
        token = res.next_page_token || undefined;
        if (!token) break;
      }
      return { records: sumParticipants(rows), nextCursor: null };
    },

    findRegistrantByEmail: (account, providerWebinarId, email) =>
      findRegistrant(account, providerWebinarId, email),

    async recordingOf(account, providerWebinarId) {
      try {
        const res = await client.call(account, {
          op: "cloud recording",
          method: "GET",
          // A webinar's id is its meeting id for the cloud recording API.
          path: `/meetings/${webinarPath(providerWebinarId).slice("/webinars/".length)}/recordings`,
          schema: zoomRecordings,
        });
        return zoomRecording(res);
      } catch (err) {
        // 3301 "There is no recording for this meeting": none yet, or recording was off.
        if (err instanceof ProviderError && err.kind === "not_found") return null;
        throw err;
      }
    },
    /**
     * Deletes the registrant in each webinar (`DELETE /webinars/{id}/registrants/{registrantId}`),
     * not just cancels: a cancelled Zoom registrant keeps the person's details. Without an id
     * the registrant is looked up by address in every status (a cancelled one lists as denied).
     */
    async erasePerson(account, email, targets = []) {
      const refused = await forgetInEachWebinar(targets, async (t) => {
        let id = t.providerRegistrantId;
        for (const status of ["approved", "denied", "pending"] as const) {
          if (id) break;
          id =
            (await findRegistrant(account, t.providerWebinarId, email, status))?.providerRegistrantId ?? null;
        }
        if (!id) return;
        await client.call(account, {
          op: "delete registrant",
          method: "DELETE",
          path: `${webinarPath(t.providerWebinarId)}/registrants/${encodeURIComponent(id)}`,
          schema: null,
        });
      });
      return erasureResult(RETAINED_BY_PROVIDER.zoom, refused, "The registrant");
    },

    webinarTypes: () => ZOOM_WEBINAR_TYPES.map((t) => ({ id: t.id, label: t.label })),

    handleWebhook: handleZoomWebhook,
  };
  return provider;
}
