// Microsoft Teams driver of the shared guarantee suite (test/helpers/provider-driver.ts). Talks
// only to the Graph simulator's /_sim control API (simulators/teams/routes/control.ts).

import { DEFAULT_KNOBS as TEAMS_KNOBS } from "../../../simulators/teams/types.ts";
import { attendedMinutes } from "../../../src/providers/live-attendance.ts";
import type { ProviderSimDriver, SimRegistrant } from "../../helpers/provider-driver.ts";
import {
  simJson,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
} from "../../simulators/teams-fixtures.ts";
import { simCall } from "../guarantees/sim-call.ts";

/** Town hall ids carry a prefix in Auditorium (src/providers/teams/mapping.ts); the simulator keys by Graph id. */
/** Graph pages registrations by the simulator's page size (a knob, left at its default). */
const TEAMS_PAGE_SIZE = TEAMS_KNOBS.pageSize;

const graphId = (providerWebinarId: string) => providerWebinarId.replace(/^townhall:/, "");

export async function start(): Promise<ProviderSimDriver> {
  const sim = await startTeamsSim();
  return {
    kind: "teams",
    env: { AUDITORIUM_GRAPH_URL: sim.graphUrl, AUDITORIUM_MS_LOGIN_URL: sim.loginUrl },
    configuration: {
      settings: { tenantId: TEAMS_TENANT, organizerUserId: TEAMS_ORGANIZER },
      credentials: { clientId: TEAMS_APP.clientId, clientSecret: TEAMS_APP.clientSecret },
    },
    webinarType: "webinar",
    async setFaultRate(rate) {
      // Half before the write is applied, half after it (applied, then a 500 or a reset).
      await simJson(sim, "/knobs", { faultRate: rate, faultAfterCommitShare: 0.5 });
    },
    async registrants(providerWebinarId): Promise<SimRegistrant[]> {
      return simJson<SimRegistrant[]>(
        sim,
        `/webinars/${encodeURIComponent(graphId(providerWebinarId))}/registrants`,
      );
    },
    async webinarCount() {
      // Read in-process: the control API has no listing, and this is a count only.
      return [...sim.state.events.values()].filter((e) => e.status !== "canceled").length;
    },
    async webinarExists(providerWebinarId) {
      const res = await simJson<{ exists: boolean }>(
        sim,
        `/webinars/${encodeURIComponent(graphId(providerWebinarId))}`,
      );
      return res.exists;
    },
    async runWebinar(providerWebinarId, attendees) {
      const run = await simJson<{ minutes: Record<string, number> }>(
        sim,
        `/webinars/${encodeURIComponent(graphId(providerWebinarId))}/run`,
        { attendees },
      );
      // The simulator records seconds; minutes as Auditorium counts them (the adapter's rule).
      const recorded = new Map(Object.entries(run.minutes).map(([e, m]) => [e.toLowerCase(), m]));
      return new Map(
        attendees.map((a) => [a.email, attendedMinutes((recorded.get(a.email.toLowerCase()) ?? 0) * 60)]),
      );
    },
    // Graph has no call to delete a registration: the cancelled record stays.
    erasureLeaves: "cancelled",
    async personAt(providerWebinarId, email) {
      const there = (await (this as ProviderSimDriver).registrants(providerWebinarId)).find(
        (r) => r.email.toLowerCase() === email.toLowerCase(),
      );
      return there ? there.status : "gone";
    },
    async setOutage(down) {
      await simJson(sim, "/knobs", { faultRate: down ? 1 : 0, faultAfterCommitShare: 0 });
    },
    async requestCount() {
      return (await simJson<{ total: number }>(sim, "/requests")).total;
    },
    atProvider: {
      async register(providerWebinarId, person) {
        const res = await simCall<Record<string, string>>(
          sim.url,
          "POST",
          `/webinars/${encodeURIComponent(graphId(providerWebinarId))}/registrations`,
          person,
        );
        return res.id as string;
      },
      async cancel(providerWebinarId, id) {
        await simCall(
          sim.url,
          "POST",
          `/webinars/${encodeURIComponent(graphId(providerWebinarId))}/registrations/${id}/cancel`,
        );
      },
      async remove(providerWebinarId, id) {
        await simCall(
          sim.url,
          "DELETE",
          `/webinars/${encodeURIComponent(graphId(providerWebinarId))}/registrations/${id}`,
        );
      },
      pageSize: TEAMS_PAGE_SIZE,
      cancelVanishes: false,
    },

    close: () => sim.close(),
  };
}
