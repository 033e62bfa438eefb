// GoTo driver of the shared guarantee suite (test/helpers/provider-driver.ts). Talks only to the
// simulator's /_sim control API. The simulator keeps GoTo's 10 requests/s limit on: answering 429
// is part of what the engine must survive.
import { GOTO_REGISTRANT_PAGE } from "../../../src/providers/goto/registrant-list.ts";
import { attendedMinutes } from "../../../src/providers/live-attendance.ts";
import type { ProviderSimDriver, SimRegistrant } from "../../helpers/provider-driver.ts";
import {
  GOTO_ACCOUNT,
  type SimRegistrantRow,
  sim,
  simRegistrants,
  startGoto,
} from "../../simulators/goto-harness.ts";
import { simCall } from "../guarantees/sim-call.ts";

export async function start(): Promise<ProviderSimDriver> {
  const s = await startGoto();
  return {
    kind: "goto",
    env: { AUDITORIUM_GOTO_API_URL: s.apiUrl, AUDITORIUM_GOTO_AUTH_URL: s.authUrl },
    configuration: {
      settings: { organizerKey: GOTO_ACCOUNT.organizerKey },
      credentials: {
        clientId: GOTO_ACCOUNT.clientId,
        clientSecret: GOTO_ACCOUNT.clientSecret,
        refreshToken: GOTO_ACCOUNT.refreshToken,
      },
    },
    webinarType: "single_session",
    async setFaultRate(rate) {
      // Half before the write is applied, half after it (applied, then a 5xx or a reset).
      await sim(s, "POST", "/knobs", { faultRateBeforeCommit: rate / 2, faultRateAfterCommit: rate / 2 });
    },
    async registrants(providerWebinarId): Promise<SimRegistrant[]> {
      return (await simRegistrants(s, providerWebinarId)).map((r: SimRegistrantRow) => ({
        email: r.email,
        providerRegistrantId: r.registrantKey,
        status: r.status,
        createdCount: r.createdCount,
      }));
    },
    async webinarCount() {
      // Read in-process: the control API has no listing, and this is a count only.
      return [...s.state.webinars.values()].filter((w) => !w.deleted).length;
    },
    async webinarExists(providerWebinarId) {
      const res = await fetch(`${s.url}/_sim/webinars/${providerWebinarId}`);
      if (res.status === 404) return false;
      return ((await res.json()) as { exists: boolean }).exists;
    },
    async runWebinar(providerWebinarId, attendees) {
      const run = await sim<{ seconds: Record<string, number> }>(
        s,
        "POST",
        `/webinars/${providerWebinarId}/run`,
        {
          attendees,
        },
      );
      // Everyone asked about gets an entry; someone who attended 0 minutes has no GoTo row.
      const seconds = new Map(Object.entries(run.seconds).map(([e, v]) => [e.toLowerCase(), v]));
      return new Map(
        attendees.map((a) => [a.email, attendedMinutes(seconds.get(a.email.toLowerCase()) ?? 0)]),
      );
    },
    erasureLeaves: "gone",
    async personAt(providerWebinarId, email) {
      // GoTo has no cancelled state: a cancelled or erased registrant is deleted (the control
      // API lists it as "cancelled"; GoTo's own API answers 404 for it).
      const there = (await simRegistrants(s, providerWebinarId)).find(
        (r) => r.email.toLowerCase() === email.toLowerCase(),
      );
      return there && there.status === "registered" ? "registered" : "gone";
    },
    async setOutage(down) {
      await sim(s, "POST", "/knobs", { faultRateBeforeCommit: down ? 1 : 0, faultRateAfterCommit: 0 });
    },
    async requestCount() {
      return (await sim<{ total: number }>(s, "GET", "/requests")).total;
    },
    async sentEmails() {
      return sim<{ to: string; kind: "confirmation" | "reminder" }[]>(s, "GET", "/emails");
    },
    async confirmationEmailOn(providerWebinarId) {
      const w = await sim<{ emailSettings: { confirmationEmail: { enabled: boolean } } }>(
        s,
        "GET",
        `/webinars/${providerWebinarId}`,
      );
      return w.emailSettings.confirmationEmail.enabled;
    },
    async advanceClock(ms) {
      await sim(s, "POST", "/clock/advance", { ms });
    },
    atProvider: {
      async register(providerWebinarId, person) {
        const res = await simCall<Record<string, string>>(
          s.url,
          "POST",
          `/webinars/${providerWebinarId}/self-registrations`,
          person,
        );
        return res.providerRegistrantId as string;
      },
      async cancel(providerWebinarId, id) {
        await simCall(s.url, "POST", `/webinars/${providerWebinarId}/self-registrations/${id}/cancel`);
      },
      async remove(providerWebinarId, id) {
        await simCall(s.url, "DELETE", `/webinars/${providerWebinarId}/self-registrations/${id}`);
      },
      // GoTo deletes a registrant who cancels.
      pageSize: GOTO_REGISTRANT_PAGE,
      cancelVanishes: true,
    },

    close: () => s.close(),
  };
}
