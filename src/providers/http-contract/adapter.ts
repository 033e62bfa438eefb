/**
 * The open provider contract (docs/provider-contract.openapi.json): any webinar service that
 * implements that document plugs in with a base URL and OAuth2 client credentials, no code.
 * Design notes (details in docs/provider-contract.md):
 * - registrations are idempotent at the service by (webinar, e-mail), so a retried register
 *   returns the first registration instead of a second one; `findRegistrantByEmail` lets the
 *   sync engine adopt a registration whose answer was lost;
 * - webinar creation carries an `Idempotency-Key` when the spec has a stable reference;
 * - webinar types are per service account, while `webinarTypes()` is static per provider
 *   kind, so this adapter offers none (the events service then passes any id on): an event's
 *   `webinarType` goes to the service as is and an unknown one comes back as a 422 naming
 *   `type`; without one, the configuration's `settings.webinarType` (checked against
 *   `GET /webinar-types` by `checkCredentials`), else the service's default type.
 */
import type {
  AttendancePage,
  AttendanceRecord,
  CredentialCheck,
  ProviderAccount,
  ProviderRegistrant,
  WebinarProvider,
  WebinarSpec,
} from "../contract.ts";
import { credentialCheckFromError, ProviderError } from "../contract.ts";
import { CONTRACT_CREDENTIAL_FIELDS, ContractClient } from "./client.ts";
import {
  type ContractAttendance,
  type ContractRegistration,
  contractAttendancePage,
  contractErasure,
  contractRegistration,
  contractRegistrationPage,
  contractWebinar,
  contractWebinarList,
  contractWebinarTypes,
} from "./schemas.ts";
import { handleContractWebhook } from "./webhook.ts";

export type HttpContractProviderOptions = {
  fetch?: typeof fetch;
  /** Deadline of one HTTP call, body included (default 15 s). */
  timeoutMs?: number;
};

/** Limits of WebinarInput in the contract. */
const MAX_TITLE = 300;
const MAX_DESCRIPTION = 20_000;
const ATTENDANCE_PAGE = 200;

const seg = (id: string) => {
  if (id.length === 0 || id.length > 200)
    throw new ProviderError("invalid", "Contract ids are 1-200 characters");
  return encodeURIComponent(id);
};
const webinarPath = (id: string) => `/webinars/${seg(id)}`;

/** A stable reference for the webinar, when the sync engine supplies one (used as the Idempotency-Key). */
type SpecWithRef = WebinarSpec & { externalRef?: string };

function webinarInput(account: ProviderAccount, spec: SpecWithRef) {
  const title = Array.from(spec.title.trim()).slice(0, MAX_TITLE).join("").trimEnd();
  if (title === "") throw new ProviderError("invalid", "A webinar needs a non-empty title");
  return {
    title,
    description: Array.from(spec.description).slice(0, MAX_DESCRIPTION).join(""),
    startsAt: spec.startsAt.toISOString(),
    endsAt: spec.endsAt.toISOString(),
    timeZone: spec.timeZone,
    language: spec.language,
    type: spec.webinarType ?? account.settings.webinarType ?? null,
    externalRef: spec.externalRef ?? null,
  };
}

function toRegistrant(r: ContractRegistration): ProviderRegistrant {
  return { providerRegistrantId: r.id, email: r.email, joinUrl: r.joinUrl };
}

const minutes = (seconds: number) => Math.round(seconds / 60);

function toAttendance(a: ContractAttendance): AttendanceRecord {
  const times = a.intervals.flatMap((i) => [i.joinedAt, ...(i.leftAt ? [i.leftAt] : [])]).sort();
  return {
    // A walk-in has no registration at the service; its attendee id keeps it distinct.
    providerRegistrantId: a.registrationId ?? `attendee:${a.attendeeId}`,
    email: a.email,
    firstName: a.firstName,
    lastName: a.lastName,
    company: a.company,
    jobTitle: a.jobTitle,
    liveMinutes: minutes(a.liveSeconds),
    onDemandMinutes: minutes(a.onDemandSeconds),
    engagementScore: a.engagement.score,
    questionsAsked: a.engagement.questionsAsked,
    pollsAnswered: a.engagement.pollsAnswered,
    resourcesDownloaded: a.engagement.resourcesDownloaded,
    firstActivityAt: times[0] ? new Date(times[0]) : null,
    lastActivityAt: times.length > 0 ? new Date(times[times.length - 1] as string) : null,
  };
}

const isNotFound = (err: unknown) => err instanceof ProviderError && err.kind === "not_found";

export function createHttpContractProvider(options: HttpContractProviderOptions = {}): WebinarProvider {
  const client = new ContractClient({
    timeoutMs: options.timeoutMs ?? 15_000,
    fetch: options.fetch ?? globalThis.fetch,
  });

  return {
    kind: "http-contract",
    credentialFields: CONTRACT_CREDENTIAL_FIELDS,

    async checkCredentials(account): Promise<CredentialCheck> {
      try {
        // Cheapest authenticated read; it also tells whether the configured webinar type exists.
        const types = await client.call(account, {
          op: "list webinar types",
          method: "GET",
          path: "/webinar-types",
          schema: contractWebinarTypes,
        });
        const wanted = account.settings.webinarType;
        if (wanted && !types.data.some((t) => t.id === wanted)) {
          return {
            status: "unhealthy",
            message: `The service offers no webinar type "${wanted}" (settings.webinarType); it offers: ${types.data.map((t) => t.id).join(", ")}`,
          };
        }
        return { status: "healthy", message: "The service accepted the client credentials" };
      } catch (err) {
        return credentialCheckFromError(err);
      }
    },

    async createWebinar(account, spec: SpecWithRef) {
      const body = webinarInput(account, spec);
      const w = await client.call(account, {
        op: "create webinar",
        method: "POST",
        path: "/webinars",
        json: body,
        ...(body.externalRef ? { headers: { "idempotency-key": `webinar:${body.externalRef}` } } : {}),
        schema: contractWebinar,
      });
      return { providerWebinarId: w.id, joinUrl: w.joinUrl };
    },

    async findWebinarByReference(account, reference) {
      // The contract's lookup by our reference: it outlives the Idempotency-Key's 24 hours.
      const list = await client.call(account, {
        op: "find webinar by reference",
        method: "GET",
        path: "/webinars",
        query: { externalRef: reference.externalRef },
        schema: contractWebinarList,
      });
      const w = list.data.find((x) => x.externalRef === reference.externalRef);
      return w ? { providerWebinarId: w.id, joinUrl: w.joinUrl } : null;
    },

    async updateWebinar(account, providerWebinarId, spec: SpecWithRef) {
      await client.call(account, {
        op: "update webinar",
        method: "PUT",
        path: webinarPath(providerWebinarId),
        json: webinarInput(account, spec),
        schema: contractWebinar,
      });
    },

    /** The Webinar's optional `recording` (docs/provider-contract.md, "Recording"). */
    async recordingOf(account, providerWebinarId) {
      const w = await client.call(account, {
        op: "get webinar",
        method: "GET",
        path: webinarPath(providerWebinarId),
        schema: contractWebinar,
      });
      const r = w.recording;
      return r
        ? { url: r.url, kind: r.kind, availableUntil: r.availableUntil ? new Date(r.availableUntil) : null }
        : null;
    },

    async deleteWebinar(account, providerWebinarId) {
      try {
        await client.call(account, {
          op: "delete webinar",
          method: "DELETE",
          path: webinarPath(providerWebinarId),
          schema: null,
        });
      } catch (err) {
        // 404/410: already gone, which is what we wanted.
        if (!isNotFound(err)) throw err;
      }
    },

    async register(account, providerWebinarId, person) {
      // No Idempotency-Key: the service dedupes by e-mail, and a key derived from the e-mail
      // would replay a cancelled registration if the person registers again.
      const r = await client.call(account, {
        op: "register",
        method: "POST",
        path: `${webinarPath(providerWebinarId)}/registrations`,
        json: {
          email: person.email,
          firstName: person.firstName,
          lastName: person.lastName,
          company: person.company,
          jobTitle: person.jobTitle,
        },
        schema: contractRegistration,
      });
      if (r.status !== "registered")
        throw new ProviderError("transient", "Contract register answered a cancelled registration");
      return toRegistrant(r);
    },

    async cancelRegistration(account, providerWebinarId, registrant) {
      try {
        await client.call(account, {
          op: "cancel registration",
          method: "DELETE",
          path: `${webinarPath(providerWebinarId)}/registrations/${seg(registrant.providerRegistrantId)}`,
          schema: null,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    async listAttendance(account, providerWebinarId, cursor): Promise<AttendancePage> {
      const page = await client.call(account, {
        op: "list attendance",
        method: "GET",
        path: `${webinarPath(providerWebinarId)}/attendance`,
        query: { limit: String(ATTENDANCE_PAGE), cursor: cursor ?? undefined },
        schema: contractAttendancePage,
      });
      return { records: page.data.map(toAttendance), nextCursor: page.nextCursor };
    },

    async findRegistrantByEmail(account, providerWebinarId, email) {
      const page = await client.call(account, {
        op: "find registration",
        method: "GET",
        path: `${webinarPath(providerWebinarId)}/registrations`,
        query: { email, status: "registered", limit: "10" },
        schema: contractRegistrationPage,
      });
      const wanted = email.trim().toLowerCase();
      // Checked here too: a service that ignores the filters must not make us adopt someone else.
      const hit = page.data.find((r) => r.status === "registered" && r.email.trim().toLowerCase() === wanted);
      return hit ? toRegistrant(hit) : null;
    },

    async erasePerson(account, email) {
      await client.call(account, {
        op: "erase person",
        method: "POST",
        path: "/erasures",
        json: { email },
        schema: contractErasure,
      });
    },

    handleWebhook: handleContractWebhook,
  };
}
