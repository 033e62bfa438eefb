/**
 * Microsoft Teams webinars through Microsoft Graph virtual events (docs/providers/teams.md). Traits
 * handled here:
 * - auth: a client-credentials token per tenant/app (token.ts) for reads, registrations and
 *   subscriptions; creating, publishing, updating and cancelling a webinar go with the connected
 *   organizer's delegated token (`account.delegatedToken`, organizer-consent.ts) when there is
 *   one — real Graph allows them with delegated permission only;
 * - webinars are created as drafts and then published; cancelling is `POST …/cancel`;
 * - registering with application permission answers 204 with no body, so the registration is
 *   looked up by e-mail afterwards; Graph has no personal join link, everyone gets the session's
 *   `joinWebUrl`;
 * - town halls have no registrations in Graph: registering for one is refused as `invalid`;
 * - attendance is sessions → attendance reports → records, summed per person over all of them;
 * - change notifications: two Graph subscriptions per webinar behind one id (webhook.ts).
 */

import type { CredentialCheck, ProviderAccount, WebhookEvent, WebinarProvider } from "../contract.ts";
import { credentialCheckFromError, ProviderError } from "../contract.ts";
import { erasureResult, forgetInEachWebinar, RETAINED_BY_PROVIDER } from "../erasure.ts";
import { isProviderError } from "../http.ts";
import {
  GRAPH_DEFAULT_URL,
  GraphClient,
  MS_LOGIN_DEFAULT_URL,
  TEAMS_CREDENTIAL_FIELDS,
  type TeamsAccount,
  teamsAccount,
} from "./client.ts";
import {
  type EventRef,
  eventBody,
  eventPath,
  eventRef,
  HOLDING,
  odataString,
  providerWebinarIdOf,
  requireWebinar,
  TEAMS_WEBINAR_TYPES,
} from "./mapping.ts";
import { createOrganizerConsent, type OrganizerConsent } from "./organizer-consent.ts";
import { GraphReads, teamsReadPaths } from "./reads.ts";
import { collection, virtualEvent, virtualEventRegistration } from "./schemas.ts";
import { createSubscriptions, renewSubscriptions } from "./subscriptions.ts";
import { handleGraphWebhook } from "./webhook.ts";

export type TeamsProviderOptions = {
  graphUrl?: string;
  loginUrl?: string;
  /** How long one Graph request may take (AUDITORIUM_PROVIDER_TIMEOUT_SECONDS). */
  timeoutMs?: number;
  fetch?: typeof fetch;
};

/** The contract plus one Teams-only lookup (see webhook.ts for why it exists). */
export interface TeamsProvider extends WebinarProvider {
  /** The organizer's delegated consent (authorization code + PKCE, refresh tokens). */
  organizerConsent: OrganizerConsent;
  getRegistration(
    account: ProviderAccount,
    providerWebinarId: string,
    registrationId: string,
  ): Promise<WebhookEvent | null>;
}

/** Graph needs both for app-only registration; RegistrantSpec carries neither (documented default). */
const REGISTRANT_TIME_ZONE = "UTC";
const REGISTRANT_LANGUAGE = "en-us";

export function createTeamsProvider(options: TeamsProviderOptions = {}): TeamsProvider {
  const client = new GraphClient({
    graphUrl: options.graphUrl ?? GRAPH_DEFAULT_URL,
    loginUrl: options.loginUrl ?? MS_LOGIN_DEFAULT_URL,
    timeoutMs: options.timeoutMs ?? 15_000,
    fetch: options.fetch ?? globalThis.fetch,
  });
  const reads = new GraphReads(client);
  const joinUrl = (a: TeamsAccount, ref: EventRef) => reads.joinUrl(a, ref);
  const registrationsByEmail = (a: TeamsAccount, ref: EventRef, email: string) =>
    reads.registrationsByEmail(a, ref, email);

  async function publish(a: TeamsAccount, ref: EventRef): Promise<void> {
    // The draft already exists: retrying publish here (a few transient failures) is cheaper than
    // failing createWebinar, whose retry would create a second draft.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.call(a, {
          op: "publish webinar",
          method: "POST",
          path: `${eventPath(ref)}/publish`,
          as: "organizer",
        });
        return;
      } catch (err) {
        // A publish whose answer was lost (applied, then a 5xx or a reset) makes the retry's
        // answer "cannot publish a published event": that is success.
        if (isProviderError(err, "invalid", "conflict") && attempt > 1) {
          const now = await client.call(a, {
            op: "get webinar",
            method: "GET",
            path: eventPath(ref),
            schema: virtualEvent,
          });
          if (now.status === "published") return;
        }
        if (!isProviderError(err, "transient", "rate_limited") || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, Math.min(err.details.retryAfterMs ?? 250 * attempt, 5_000)));
      }
    }
  }

  const provider: TeamsProvider = {
    kind: "teams",
    organizerConsent: createOrganizerConsent({
      graphUrl: options.graphUrl ?? GRAPH_DEFAULT_URL,
      loginUrl: options.loginUrl ?? MS_LOGIN_DEFAULT_URL,
      timeoutMs: options.timeoutMs ?? 15_000,
      fetch: options.fetch ?? globalThis.fetch,
    }),
    credentialFields: TEAMS_CREDENTIAL_FIELDS,

    async checkCredentials(account): Promise<CredentialCheck> {
      try {
        const a = teamsAccount(account);
        // Reading the organizer's webinars proves the token, the permission and the access policy.
        await client.call(a, {
          op: "check credentials",
          method: "GET",
          path: `/solutions/virtualEvents/webinars/getByUserIdAndRole(userId=${odataString(a.organizerUserId)},role='organizer')`,
          query: { $top: "1" },
          schema: collection(virtualEvent),
        });
        if (!a.organizerToken)
          return { status: "healthy", message: "Microsoft Graph accepted the app and its permissions" };
        // The connected organizer's consent must still hold: creating webinars depends on it.
        await client.call(a, { op: "read the organizer", method: "GET", path: "/me", as: "organizer" });
        return {
          status: "healthy",
          message: "Microsoft Graph accepted the app, its permissions and the organizer's consent",
        };
      } catch (err) {
        return credentialCheckFromError(err);
      }
    },

    async createWebinar(account, spec) {
      const a = teamsAccount(account);
      const type = spec.webinarType ?? "webinar";
      if (type !== "webinar" && type !== "townhall") {
        throw new ProviderError("invalid", 'Teams webinarType must be "webinar" or "townhall"');
      }
      const collectionName = type === "townhall" ? "townhalls" : "webinars";
      const created = await client.call(a, {
        op: `create ${type}`,
        method: "POST",
        as: "organizer",
        path: `/solutions/virtualEvents/${collectionName}`,
        body: eventBody(spec),
        schema: virtualEvent,
      });
      const ref: EventRef = { collection: collectionName, graphId: created.id };
      await publish(a, ref);
      let url: string | null = null;
      try {
        url = await joinUrl(a, ref);
      } catch {
        // The webinar exists and is published; the link is fetched again on first registration.
      }
      return { providerWebinarId: providerWebinarIdOf(collectionName, created.id), joinUrl: url };
    },

    async findWebinarByReference(account, reference) {
      // The organizer's webinars and town halls; ours carries the reference as its external
      // event id. A draft is one whose publish never ran: publishing it finishes the create.
      const a = teamsAccount(account);
      for (const collectionName of ["webinars", "townhalls"] as const) {
        const events = await reads.listAll(
          a,
          `list ${collectionName}`,
          `/solutions/virtualEvents/${collectionName}/getByUserIdAndRole(userId=${odataString(a.organizerUserId)},role='organizer')`,
          virtualEvent,
        );
        const ours = events.find(
          (e) =>
            e.status !== "canceled" &&
            e.externalEventInformation?.some((x) => x.externalEventId === reference.externalRef),
        );
        if (!ours) continue;
        const ref: EventRef = { collection: collectionName, graphId: ours.id };
        if (ours.status === "draft") await publish(a, ref);
        let url: string | null = null;
        try {
          url = await joinUrl(a, ref);
        } catch {
          // As after a create: the link is fetched again on first registration.
        }
        return { providerWebinarId: providerWebinarIdOf(collectionName, ours.id), joinUrl: url };
      }
      return null;
    },

    async updateWebinar(account, providerWebinarId, spec) {
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      // Graph supports externalEventInformation on create only.
      const { audience: _unchanged, externalEventInformation: _createOnly, ...body } = eventBody(spec);
      await client.call(a, {
        op: "update webinar",
        method: "PATCH",
        path: eventPath(ref),
        body,
        as: "organizer",
      });
    },

    async deleteWebinar(account, providerWebinarId) {
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      reads.forget(a, ref);
      try {
        await client.call(a, {
          op: "cancel webinar",
          method: "POST",
          path: `${eventPath(ref)}/cancel`,
          as: "organizer",
        });
      } catch (err) {
        if (isProviderError(err, "not_found")) return;
        if (!isProviderError(err, "invalid", "conflict")) throw err;
        // Graph refuses to cancel twice; if it is already canceled, we have what we wanted.
        const current = await client.call(a, {
          op: "get webinar",
          method: "GET",
          path: eventPath(ref),
          schema: virtualEvent,
        });
        if (current.status !== "canceled") throw err;
      }
    },

    async register(account, providerWebinarId, person) {
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      requireWebinar(ref);
      for (const field of ["email", "firstName", "lastName"] as const) {
        if (person[field].trim() === "")
          throw new ProviderError("invalid", `Teams registration needs ${field}`);
      }
      const url = await joinUrl(a, ref);
      // Application permission: 204 No Content and no id (api/virtualeventwebinar-post-registrations.md).
      await client.call(a, {
        op: "register",
        method: "POST",
        path: `${eventPath(ref)}/registrations`,
        body: {
          firstName: person.firstName.trim(),
          lastName: person.lastName.trim(),
          email: person.email.trim(),
          preferredTimezone: REGISTRANT_TIME_ZONE,
          preferredLanguage: REGISTRANT_LANGUAGE,
        },
      });
      const found = (await registrationsByEmail(a, ref, person.email.trim())).find((r) =>
        HOLDING.has(r.status ?? ""),
      );
      if (!found) {
        // Accepted but not listed yet: a retry looks the person up first (never registers twice).
        throw new ProviderError(
          "transient",
          "Microsoft Graph accepted the registration but does not list it yet",
        );
      }
      return { providerRegistrantId: found.id, email: found.email ?? person.email, joinUrl: url };
    },

    async cancelRegistration(account, providerWebinarId, registrant) {
      const a = teamsAccount(account);
      const ref = eventRef(providerWebinarId);
      if (ref.collection === "townhalls") return; // nothing was ever registered
      let id = registrant.providerRegistrantId;
      if (!id) {
        const regs = await registrationsByEmail(a, ref, registrant.email);
        const holding = regs.find((r) => HOLDING.has(r.status ?? ""));
        if (!holding) return;
        id = holding.id;
      }
      const path = `${eventPath(ref)}/registrations/${encodeURIComponent(id)}`;
      try {
        await client.call(a, { op: "cancel registration", method: "POST", path: `${path}/cancel` });
      } catch (err) {
        if (isProviderError(err, "not_found")) return;
        if (!isProviderError(err, "invalid", "conflict")) throw err;
        const current = await client.call(a, {
          op: "get registration",
          method: "GET",
          path,
          schema: virtualEventRegistration,
        });
        if (current.status !== "canceled") throw err;
      }
    },

    /**
     * Graph has no call to delete a registration (virtualEventRegistration: list, create, get,
     * cancel): the documented cancel is the most it allows, and the cancelled record stays.
     */
    async erasePerson(account, email, targets = []) {
      const refused = await forgetInEachWebinar(targets, (t) =>
        provider.cancelRegistration(account, t.providerWebinarId, {
          providerRegistrantId: t.providerRegistrantId ?? "",
          email,
        }),
      );
      return erasureResult(RETAINED_BY_PROVIDER.teams, refused, "The registration");
    },

    ...teamsReadPaths(client, reads),

    webinarTypes() {
      return TEAMS_WEBINAR_TYPES.map((t) => ({ id: t.id, label: t.label }));
    },

    handleWebhook(_account, request, context) {
      return handleGraphWebhook(request, context);
    },

    async subscribe(account, providerWebinarId, notificationUrl, clientState) {
      return createSubscriptions(
        client,
        teamsAccount(account),
        eventRef(providerWebinarId),
        notificationUrl,
        clientState,
      );
    },

    async renewSubscription(account, subscriptionId) {
      return renewSubscriptions(client, teamsAccount(account), subscriptionId);
    },
  };
  return provider;
}
