import { startContractSimulator } from "../../../simulators/http-contract/server.ts";
import { CONTRACT_REGISTRATION_PAGE } from "../../../src/providers/http-contract/registrant-list.ts";
import type { ProviderSimDriver, SimRegistrant } from "../../helpers/provider-driver.ts";
import { simCall } from "../guarantees/sim-call.ts";

/** The client the reference implementation knows and the configuration uses. */
export const CONTRACT_ACCOUNT = {
  clientId: "auditorium-test",
  clientSecret: "contract-secret-do-not-leak",
  webhookSecret: "contract-webhook-secret-do-not-leak",
};

/**
 * The open contract's reference implementation (simulators/http-contract) behind the shared
 * guarantee suite. Everything goes through its HTTP control API (/_sim). The base URL is a
 * configuration setting, not environment, so `env` is empty.
 */
export async function start(): Promise<ProviderSimDriver> {
  const sim = await startContractSimulator({
    clients: [{ clientId: CONTRACT_ACCOUNT.clientId, clientSecret: CONTRACT_ACCOUNT.clientSecret }],
  });

  async function control<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${sim.url}/_sim${path}`, {
      method,
      ...(body !== undefined && {
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    });
    const text = await res.text();
    if (res.status >= 500) throw new Error(`contract simulator ${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  return {
    kind: "http-contract",
    env: {},
    configuration: { settings: { baseUrl: sim.baseUrl }, credentials: { ...CONTRACT_ACCOUNT } },
    // Types are per service account and the adapter has no static list, so any id is passed
    // on; "town-hall" is one the reference implementation offers (docs/provider-contract.md).
    webinarType: "town-hall",

    async setFaultRate(rate) {
      // Half before the write is stored, half after it (stored, answer lost or an error).
      const res = await control("POST", "/knobs", {
        faultBeforeCommitRate: rate / 2,
        faultAfterCommitRate: rate / 2,
      });
      if (res.status !== 200) throw new Error(`contract simulator knobs: ${res.status}`);
    },

    async registrants(providerWebinarId) {
      const res = await control<{ data: SimRegistrant[] }>(
        "GET",
        `/webinars/${encodeURIComponent(providerWebinarId)}/registrants`,
      );
      return res.body.data.map(({ email, providerRegistrantId, status, createdCount }) => ({
        email,
        providerRegistrantId,
        status,
        createdCount,
      }));
    },

    async webinarCount() {
      // Read in-process: the control API has no listing, and this is a count only.
      return [...sim.state.webinars.values()].filter((w) => !w.deleted).length;
    },
    async webinarExists(providerWebinarId) {
      const res = await control<{ exists: boolean }>(
        "GET",
        `/webinars/${encodeURIComponent(providerWebinarId)}`,
      );
      return res.status === 200 && res.body.exists;
    },

    async runWebinar(providerWebinarId, attendees) {
      const res = await control<{ attendees: { email: string; liveMinutes: number }[] }>(
        "POST",
        `/webinars/${encodeURIComponent(providerWebinarId)}/run`,
        { attendees: attendees.map((a) => ({ email: a.email, minutes: a.minutes })) },
      );
      if (res.status !== 200)
        throw new Error(`contract simulator run: ${res.status} ${JSON.stringify(res.body)}`);
      const wanted = new Set(attendees.map((a) => a.email.toLowerCase()));
      return new Map(
        res.body.attendees
          .filter((a) => wanted.has(a.email.toLowerCase()))
          .map((a) => [a.email.toLowerCase(), a.liveMinutes]),
      );
    },

    erasureLeaves: "gone",
    async personAt(providerWebinarId, email) {
      const there = (await (this as ProviderSimDriver).registrants(providerWebinarId)).find(
        (r) => r.email.toLowerCase() === email.toLowerCase(),
      );
      return there ? there.status : "gone";
    },
    async setOutage(down) {
      const res = await control("POST", "/knobs", {
        faultBeforeCommitRate: down ? 1 : 0,
        faultAfterCommitRate: 0,
      });
      if (res.status !== 200) throw new Error(`contract simulator knobs: ${res.status}`);
    },
    async requestCount() {
      return (await control<{ total: number }>("GET", "/requests")).body.total;
    },

    atProvider: {
      async register(providerWebinarId, person) {
        const res = await simCall<Record<string, string>>(
          sim.url,
          "POST",
          `/webinars/${providerWebinarId}/registrations`,
          person,
        );
        return res.id as string;
      },
      async cancel(providerWebinarId, id) {
        await simCall(sim.url, "POST", `/webinars/${providerWebinarId}/registrations/${id}/cancel`);
      },
      async remove(providerWebinarId, id) {
        await simCall(sim.url, "DELETE", `/webinars/${providerWebinarId}/registrations/${id}`);
      },
      pageSize: CONTRACT_REGISTRATION_PAGE,
      cancelVanishes: false,
    },

    close: () => sim.close(),
  };
}
