import { startZoomSimulator } from "../../../simulators/zoom/server.ts";
import { ZOOM_REGISTRANT_PAGE } from "../../../src/providers/zoom/registrant-list.ts";
import type { ProviderSimDriver, SimRegistrant } from "../../helpers/provider-driver.ts";
import { simCall } from "../guarantees/sim-call.ts";

/** The Zoom account and app the simulator knows and the driver's configuration uses. */
export const ZOOM_ACCOUNT = {
  accountId: "acct-guarantees",
  clientId: "client-guarantees",
  clientSecret: "SECRET-zoom-do-not-leak",
  webhookSecretToken: "WEBHOOK-zoom-do-not-leak",
};

/**
 * The Zoom simulator (simulators/zoom) behind the shared guarantee suite. Everything goes through
 * the simulator's HTTP control API (/_sim). The simulator behaves as Zoom does: adding an e-mail
 * already registered answers the existing registrant (createdCount stays 1). Its
 * `duplicateRegistrants` knob makes every add a new registrant, for tests that want to prove the
 * client's own never-twice logic (test/providers/zoom.sync.test.ts does).
 */
export async function start(): Promise<ProviderSimDriver> {
  const sim = await startZoomSimulator({
    accounts: [
      {
        accountId: ZOOM_ACCOUNT.accountId,
        clientId: ZOOM_ACCOUNT.clientId,
        clientSecret: ZOOM_ACCOUNT.clientSecret,
      },
    ],
    seed: 25,
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
    if (res.status >= 500) throw new Error(`Zoom simulator ${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  return {
    kind: "zoom",
    env: { AUDITORIUM_ZOOM_API_URL: sim.apiUrl, AUDITORIUM_ZOOM_OAUTH_URL: sim.oauthUrl },
    configuration: { settings: {}, credentials: { ...ZOOM_ACCOUNT } },
    // 5 (a webinar) is the type batch registration works with.
    webinarType: "5",

    async setFaultRate(rate) {
      // Half the faults before the write is applied, the rest after it (stored, answer lost),
      // so that a write meets a fault with probability `rate` overall.
      const before = rate / 2;
      const afterCommit = before >= 1 ? 0 : (rate - before) / (1 - before);
      const res = await control("PATCH", "/knobs", { faultRate: before, faultAfterCommitRate: afterCommit });
      if (res.status !== 200) throw new Error(`Zoom simulator knobs: ${res.status}`);
    },

    async registrants(providerWebinarId) {
      const res = await control<SimRegistrant[]>(
        "GET",
        `/webinars/${encodeURIComponent(providerWebinarId)}/registrants`,
      );
      return res.status === 404 ? [] : res.body;
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
      return res.body.exists;
    },

    async runWebinar(providerWebinarId, attendees) {
      const res = await control<{ minutes: Record<string, number> }>(
        "POST",
        `/webinars/${encodeURIComponent(providerWebinarId)}/run`,
        // Two join segments each, so the adapter's per-person sum is part of what is proven.
        { attendees: attendees.map((a) => ({ email: a.email, minutes: a.minutes, segments: 2 })) },
      );
      if (res.status !== 200) throw new Error(`Zoom simulator run: ${res.status}`);
      return new Map(Object.entries(res.body.minutes).map(([email, m]) => [email.toLowerCase(), m]));
    },

    erasureLeaves: "gone",
    async personAt(providerWebinarId, email) {
      const there = (await (this as ProviderSimDriver).registrants(providerWebinarId)).find(
        (r) => r.email.toLowerCase() === email.toLowerCase(),
      );
      return there ? there.status : "gone";
    },
    async setOutage(down) {
      const res = await control("PATCH", "/knobs", { faultRate: down ? 1 : 0, faultAfterCommitRate: 0 });
      if (res.status !== 200) throw new Error(`Zoom simulator knobs: ${res.status}`);
    },
    async requestCount() {
      return (await control<{ total: number }>("GET", "/requests")).body.total;
    },
    async sentEmails() {
      return (await control<{ to: string; kind: "confirmation" | "reminder" }[]>("GET", "/emails")).body;
    },
    async confirmationEmailOn(providerWebinarId) {
      return sim.state.webinars.get(Number(providerWebinarId))?.confirmationEmail === true;
    },
    async advanceClock(ms) {
      await control("POST", "/clock/advance", { ms });
    },

    atProvider: {
      async register(providerWebinarId, person) {
        const res = await simCall<Record<string, string>>(
          sim.url,
          "POST",
          `/webinars/${providerWebinarId}/self-registrations`,
          person,
        );
        return res.providerRegistrantId as string;
      },
      async cancel(providerWebinarId, id) {
        await simCall(sim.url, "POST", `/webinars/${providerWebinarId}/self-registrations/${id}/cancel`);
      },
      async remove(providerWebinarId, id) {
        await simCall(sim.url, "DELETE", `/webinars/${providerWebinarId}/self-registrations/${id}`);
      },
      pageSize: ZOOM_REGISTRANT_PAGE,
      cancelVanishes: false,
    },

    close: () => sim.close(),
  };
}
