/**
 * ON24 (REST API v2) implementation of the provider contract. See docs/providers/on24.md for the vendor
 * facts this relies on. Notable ON24 traits handled here:
 * - writes are form-encoded; auth is two static headers; region picks the API host;
 * - quota exhaustion is a 403 with a message, not a 429 (client.ts maps it);
 * - there is no personal join link: registrants get the event's audience URL, fetched once per
 *   event and cached;
 * - cancelling a registration is a soft delete (isDeleted=Y), refused once the event started;
 * - attendance comes from the event-level attendee list. ON24 documents no paging for it
 *   (nor for the event-level registrant list that names the attendees): one answer holds the
 *   whole audience, so these two reads get a deadline of their own (`listTimeoutMs`).
 */

import { cachedRead, EVENT_CACHE_TTL_MS, NAMES_CACHE_TTL_MS, TtlCache } from "../cache.ts";
import type {
  CredentialCheck,
  ProviderAccount,
  ProviderRegistrant,
  ProvisionedWebinar,
  RegistrantSpec,
  WebinarProvider,
  WebinarSpec,
} from "../contract.ts";
import { credentialCheckFromError, ProviderError } from "../contract.ts";
import { answerFields, formName } from "./answers.ts";
import {
  accountRef,
  ON24_CREDENTIAL_FIELDS,
  ON24_DEFAULT_BASE_URLS,
  On24Client,
  type On24Region,
} from "./client.ts";
import { applyEmailSwitches } from "./email-switches.ts";
import {
  applyRegistrationFields,
  form,
  invalid,
  isKind,
  ON24_PAGE_SIZE,
  on24EventPath,
  on24IsoLiveStart,
  on24Language,
  on24LiveDuration,
  on24WccLiveStart,
  requireNumericId,
  requireTimeZone,
  toRegistrant,
  truncateTitle,
} from "./mapping.ts";
import { createOn24Reads } from "./reads.ts";
import {
  ON24_WEBINAR_TYPES,
  type On24RegistrantRecord,
  type On24RegistrationField,
  on24ClientRegistrantsProbe,
  on24CreatedEvent,
  on24DeletedEvent,
  on24EventList,
  on24Forgotten,
  on24RegistrantWrite,
  on24RegistrationFields,
  on24UpdatedEvent,
} from "./schemas.ts";

// The value mappings are part of this module's API (tests and callers import them from here).
export {
  applyRegistrationFields,
  on24IsoLiveStart,
  on24Language,
  on24LiveDuration,
  on24WccLiveStart,
  truncateTitle,
} from "./mapping.ts";

export interface On24ProviderOptions {
  baseUrls?: { NA: string; EU: string };
  /** Deadline of one HTTP call, body included (default 15 s). */
  timeoutMs?: number;
  /**
   * Deadline of the event-level attendee and registrant lists (default 120 s). openapi.json
   * gives neither list a paging parameter, so the answer grows with the audience: ON24 events
   * reach 100,000 attendees, a document of tens of megabytes, and 15 s is not enough to build,
   * send and parse that on a busy host.
   */
  listTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** ON24 limits (AddEventForm / UpdateEventForm in openapi.json). */
const MAX_TITLE_CREATE = 250; // "Limited to less than 251 characters"
const MAX_TITLE_UPDATE = 255; // "Limited to 255 characters"
const LIST_TIMEOUT_MS = 120_000;
const DEFAULT_EVENT_TYPE = "fav"; // "Live Video and Audio"
const DAY_MS = 24 * 3600_000;

/**
 * Our reference, stored as the event's campaign code: ON24 has no idempotency key, but
 * CreateAWebinar takes `campaignCode` and the client-level event listing returns it
 * (`campaigncode`), so a create whose answer was lost can be found (docs/webinars.md).
 */
const campaignCodeOf = (externalRef: string | undefined) =>
  externalRef === undefined ? undefined : `auditorium-${externalRef}`;
/** ON24 takes plain dates; a day either side covers whichever zone it reads them in. */
const on24Day = (at: number) => new Date(at).toISOString().slice(0, 10);

// --- provider ------------------------------------------------------------------------------

export function createOn24Provider(options: On24ProviderOptions = {}): WebinarProvider {
  const client = new On24Client({
    baseUrls: options.baseUrls ?? ON24_DEFAULT_BASE_URLS,
    timeoutMs: options.timeoutMs ?? 15_000,
    fetch: options.fetch ?? globalThis.fetch,
  });
  const audienceUrls = new TtlCache<string | null>(EVENT_CACHE_TTL_MS);
  const listTimeoutMs = options.listTimeoutMs ?? LIST_TIMEOUT_MS;
  const regFields = new TtlCache<On24RegistrationField[] | null>(EVENT_CACHE_TTL_MS);
  const names = new TtlCache<Map<string, On24RegistrantRecord>>(NAMES_CACHE_TTL_MS);

  const eventKey = (region: On24Region, clientId: string, eventId: string) =>
    `${region}:${clientId}:${eventId}:`;
  const keyOf = (account: ProviderAccount, eventId: string) => {
    const ref = accountRef(account);
    return eventKey(ref.region, ref.clientId, eventId);
  };
  const { audienceUrl, paths: readPaths } = createOn24Reads({
    client,
    listTimeoutMs,
    keyOf,
    audienceUrls,
    names,
  });

  /** The event's registration page fields; null when ON24 will not tell (non-Elite accounts get 403). */
  async function registrationFields(
    account: ProviderAccount,
    eventId: string,
  ): Promise<On24RegistrationField[] | null> {
    return cachedRead(regFields, keyOf(account, eventId), null, async () => {
      const res = await client.call(account, {
        op: "get registration fields",
        method: "GET",
        path: `${on24EventPath(eventId)}/regfield`,
        schema: on24RegistrationFields,
      });
      return res.registrationfields;
    });
  }

  const provider: WebinarProvider = {
    kind: "on24",
    credentialFields: ON24_CREDENTIAL_FIELDS,

    async checkCredentials(account): Promise<CredentialCheck> {
      try {
        // Cheapest authenticated read that needs no Elite tier: one row of the client-level list.
        await client.call(account, {
          op: "check credentials",
          method: "GET",
          path: "/registrant",
          query: { itemsperpage: "1", pageoffset: "0" },
          schema: on24ClientRegistrantsProbe,
        });
        return { status: "healthy", message: "ON24 accepted the credentials" };
      } catch (err) {
        // "The client {clientId} doesn't exist." is ON24's answer to a wrong clientId.
        if (err instanceof ProviderError && err.kind === "not_found")
          return { status: "not_authenticated", message: "ON24 does not know this clientId" };
        return credentialCheckFromError(err);
      }
    },

    async createWebinar(account, spec: WebinarSpec): Promise<ProvisionedWebinar> {
      const timeZone = requireTimeZone(spec.timeZone);
      const lang = on24Language(spec.language);
      const res = await client.call(account, {
        op: "create event",
        method: "POST",
        path: "/event",
        form: form({
          title: truncateTitle(spec.title, MAX_TITLE_CREATE),
          eventType: spec.webinarType ?? DEFAULT_EVENT_TYPE,
          languageCd: lang.languageCd,
          countryCd: lang.countryCd,
          timeZone,
          liveStart: on24IsoLiveStart(spec.startsAt, timeZone),
          liveDuration: String(on24LiveDuration(spec.startsAt, spec.endsAt)),
          eventAbstract: spec.description.trim() === "" ? undefined : spec.description,
          campaignCode: campaignCodeOf(spec.externalRef),
        }),
        schema: on24CreatedEvent,
      });
      const eventId = res.wccevent.eventId;
      audienceUrls.set(keyOf(account, eventId), res.wccevent.audienceUrl);
      // If this fails the create is retried, finds the event by its campaign code, and the
      // sync engine pushes the spec to the adopted event, switches included (docs/webinars.md).
      if (spec.providerSendsRegistrantEmails !== undefined)
        await applyEmailSwitches(client, account, eventId, spec.providerSendsRegistrantEmails);
      return { providerWebinarId: eventId, joinUrl: res.wccevent.audienceUrl };
    },

    async findWebinarByReference(account, reference): Promise<ProvisionedWebinar | null> {
      // Events created since the first create may have been sent, by creation date (ON24 keeps
      // a range to six months; a create older than that has long been adopted or given up).
      const code = campaignCodeOf(reference.externalRef);
      const from = reference.createdAfter.getTime() - DAY_MS;
      const to = Math.min(Date.now() + DAY_MS, from + 180 * DAY_MS);
      for (let page = 0; ; page++) {
        const res = await client.call(account, {
          op: "list events",
          method: "GET",
          path: "/event",
          query: {
            datefiltermode: "creation",
            startdate: on24Day(from),
            enddate: on24Day(to),
            itemsperpage: String(ON24_PAGE_SIZE),
            pageoffset: String(page),
          },
          schema: on24EventList,
        });
        const found = res.events.find((e) => e.campaigncode === code && e.isactive !== false);
        if (found) return { providerWebinarId: found.eventid, joinUrl: found.audienceurl ?? null };
        if (res.events.length < ON24_PAGE_SIZE) return null;
      }
    },

    async updateWebinar(account, providerWebinarId, spec): Promise<void> {
      const timeZone = requireTimeZone(spec.timeZone);
      const lang = on24Language(spec.language);
      // UpdateEventForm has no eventAbstract: ON24 lets the description be set at creation only.
      await client.call(account, {
        op: "update event",
        method: "PUT",
        path: on24EventPath(providerWebinarId),
        form: form({
          title: truncateTitle(spec.title, MAX_TITLE_UPDATE),
          eventType: spec.webinarType,
          languageCd: lang.languageCd,
          countryCd: lang.countryCd,
          timeZone,
          liveStart: on24WccLiveStart(spec.startsAt, timeZone),
          liveDuration: String(on24LiveDuration(spec.startsAt, spec.endsAt)),
        }),
        schema: on24UpdatedEvent,
      });
      if (spec.providerSendsRegistrantEmails !== undefined)
        await applyEmailSwitches(client, account, providerWebinarId, spec.providerSendsRegistrantEmails);
    },

    async deleteWebinar(account, providerWebinarId): Promise<void> {
      const key = keyOf(account, providerWebinarId);
      try {
        await client.call(account, {
          op: "delete event",
          method: "DELETE",
          path: on24EventPath(providerWebinarId),
          schema: on24DeletedEvent,
        });
      } catch (err) {
        // 410 "Event has already been deleted" is the outcome we wanted.
        if (!(err instanceof ProviderError && err.details.status === 410)) throw err;
      } finally {
        audienceUrls.deletePrefix(key);
        regFields.deletePrefix(key);
        names.deletePrefix(key);
      }
    },

    async register(account, providerWebinarId, person: RegistrantSpec): Promise<ProviderRegistrant> {
      requireNumericId(providerWebinarId, "event id");
      const joinUrl = await audienceUrl(account, providerWebinarId);
      const fields = await registrationFields(account, providerWebinarId);
      const answers = answerFields(person.answers, fields);
      const values = applyRegistrationFields(
        {
          ...answers,
          email: person.email,
          firstname: person.firstName,
          lastname: person.lastName,
          company: person.company,
          jobtitle: person.jobTitle,
        },
        fields,
      );
      const res = await client.call(account, {
        op: "register",
        method: "POST",
        path: `${on24EventPath(providerWebinarId)}/registrant`,
        form: form({
          email: values.email,
          firstName: values.firstname,
          lastName: values.lastname,
          company: values.company,
          jobTitle: values.jobtitle,
          ...Object.fromEntries(Object.keys(answers).map((key) => [formName(key), values[key]])),
          // ON24's registrant records carry UTM codes under these names (docs/providers/on24.md).
          utmsource: person.campaign?.utmSource,
          utmmedium: person.campaign?.utmMedium,
          utmcampaign: person.campaign?.utmCampaign,
          utmterm: person.campaign?.utmTerm,
          utmcontent: person.campaign?.utmContent,
        }),
        schema: on24RegistrantWrite,
      });
      return toRegistrant(res.eventuserid, res.email ?? person.email, joinUrl);
    },

    async cancelRegistration(account, providerWebinarId, registrant): Promise<void> {
      try {
        await client.call(account, {
          op: "cancel registration",
          method: "POST",
          path: `${on24EventPath(providerWebinarId)}/registrant`,
          form: form({ email: registrant.email, isDeleted: "Y" }),
          schema: on24RegistrantWrite,
        });
      } catch (err) {
        // 412 "You're trying to soft delete the registrant you're creating." = no such registrant;
        // 404 / 403 "event … is inactive" = the event itself is gone. Either way nothing is left.
        if (err instanceof ProviderError && (err.details.status === 412 || err.kind === "not_found")) return;
        throw err;
      }
    },

    async erasePerson(account, email): Promise<undefined> {
      // The forget form takes a comma-separated list; an address containing a comma would be split.
      if (email.includes(",")) throw invalid("ON24 cannot forget an e-mail address containing a comma");
      try {
        await client.call(account, {
          op: "forget person",
          method: "POST",
          path: "/forget",
          form: form({ email }),
          schema: on24Forgotten,
        });
      } catch (err) {
        // 404 "No registrant was found for that email address": nothing to erase.
        if (isKind(err, "not_found")) return;
        throw err;
      }
      names.deletePrefix("");
    },

    ...readPaths,

    webinarTypes() {
      return ON24_WEBINAR_TYPES.map((t) => ({ id: t.id, label: t.label }));
    },
  };
  return provider;
}
