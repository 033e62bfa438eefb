import { eventTimes } from "../../../simulators/on24/render.ts";
import { runWebinar as runOn24Webinar } from "../../../simulators/on24/run.ts";
import { on24Minutes } from "../../../simulators/on24/time.ts";
import type { Attendance } from "../../../simulators/on24/types.ts";
import type { ProviderSimDriver, SimRegistrant } from "../../helpers/provider-driver.ts";
import { ON24_ACCOUNT, startSimulator } from "../../webinars/fixtures.ts";
import { simCall } from "../guarantees/sim-call.ts";

const MINUTE = 60_000;

/**
 * The ON24 simulator (simulators/on24) behind the shared guarantee suite. Everything but
 * `runWebinar` goes through the simulator's HTTP control API (/_sim). The control API's run
 * draws attendance at random per email; the suite names who attends and for how long, so
 * that one step writes the run through the simulator's in-process state instead.
 */
export async function start(): Promise<ProviderSimDriver> {
  const sim = await startSimulator();

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
    if (res.status >= 500) throw new Error(`ON24 simulator ${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  type Report = {
    deleted: boolean;
    registrants: {
      email: string;
      originalEmail: string;
      eventuserid: number;
      createCount: number;
      userstatus: string;
    }[];
  };
  async function report(providerWebinarId: string): Promise<Report | null> {
    const res = await control<Report>("GET", `/events/${encodeURIComponent(providerWebinarId)}/registrants`);
    return res.status === 404 ? null : res.body;
  }

  return {
    kind: "on24",
    env: { AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA, AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU },
    configuration: { settings: { region: "NA" }, credentials: { ...ON24_ACCOUNT } },
    // "fav" (Live Video and Audio) is in the adapter's list, so the type travels to ON24.
    webinarType: "fav",

    async setFaultRate(rate) {
      // Half the faults before the write is applied (ON24 stores nothing), half after (stored,
      // answer lost), chosen so that a write meets a fault with probability `rate` overall.
      const before = rate / 2;
      const afterCommit = before >= 1 ? 0 : (rate - before) / (1 - before);
      const res = await control("PATCH", "/knobs", { errorRate: before, faultAfterCommitRate: afterCommit });
      if (res.status !== 200) throw new Error(`ON24 simulator knobs: ${res.status}`);
    },

    async registrants(providerWebinarId) {
      const r = await report(providerWebinarId);
      if (!r) return [];
      return r.registrants.map(
        (x): SimRegistrant => ({
          // After a "forget" ON24 overwrites the email; the simulator keeps the original.
          email: x.originalEmail || x.email,
          providerRegistrantId: String(x.eventuserid),
          status: x.userstatus === "active" ? "registered" : "cancelled",
          createdCount: x.createCount,
        }),
      );
    },

    async webinarCount() {
      return [...sim.state.events.values()].filter((e) => !e.deleted).length;
    },
    async webinarExists(providerWebinarId) {
      const r = await report(providerWebinarId);
      return r !== null && !r.deleted;
    },

    async runWebinar(providerWebinarId, attendees) {
      const eventId = Number(providerWebinarId);
      // The simulator's own run marks the event as run (no random attendees, no walk-ins)…
      runOn24Webinar(sim.state, eventId, { attendanceRate: 0, walkIns: 0 });
      const ev = sim.state.events.get(eventId);
      if (!ev?.run) throw new Error(`ON24 simulator: event ${providerWebinarId} did not run`);
      const start = eventTimes(ev).goodAfter;
      const recorded = new Map<string, number>();
      // …then each named person attends live for the given minutes, in one viewing session.
      for (const a of attendees) {
        const email = a.email.toLowerCase();
        const person = [...sim.state.registrants.values()].find(
          (r) => r.eventId === eventId && r.status === "active" && r.fields.email?.toLowerCase() === email,
        );
        if (!person)
          throw new Error(`ON24 simulator: no active registrant ${a.email} at ${providerWebinarId}`);
        const attendance: Attendance = {
          eventuserid: person.eventuserid,
          liveMinutesExact: a.minutes,
          archiveMinutesExact: 0,
          questions: [],
          polls: [],
          resources: [],
          engagementscore: 5,
          sessions: [
            {
              id: sim.state.nextId("session"),
              eventuserid: person.eventuserid,
              usage: "Live",
              start,
              end: start + a.minutes * MINUTE,
            },
          ],
        };
        ev.run.attendance.set(person.eventuserid, attendance);
        // What ON24 publishes: minutes rounded as ON24 documents.
        recorded.set(email, on24Minutes(a.minutes));
      }
      return recorded;
    },

    erasureLeaves: "gone",
    async personAt(providerWebinarId, email) {
      const r = await report(providerWebinarId);
      const there = r?.registrants.find(
        (x) => (x.originalEmail || x.email).toLowerCase() === email.toLowerCase(),
      );
      if (!there) return "gone";
      // ON24's forget overwrites the personal fields (the simulator keeps the original address).
      if (there.email.toLowerCase() !== email.toLowerCase()) return "gone";
      return there.userstatus === "active" ? "registered" : "cancelled";
    },
    async setOutage(down) {
      const res = await control("PATCH", "/knobs", { errorRate: down ? 1 : 0, faultAfterCommitRate: 0 });
      if (res.status !== 200) throw new Error(`ON24 simulator knobs: ${res.status}`);
    },
    async requestCount() {
      return (await control<{ total: number }>("GET", "/requests")).body.total;
    },
    async sentEmails() {
      return (await control<{ to: string; kind: "confirmation" | "reminder" }[]>("GET", "/emails")).body;
    },
    async confirmationEmailOn(providerWebinarId) {
      const ev = sim.state.events.get(Number(providerWebinarId));
      return ev?.emails.some((e) => /^confirmation/i.test(e.emailtype) && e.activated === "Y") === true;
    },
    async advanceClock(ms) {
      await control("POST", "/clock/advance", { ms });
    },

    atProvider: {
      async register(providerWebinarId, person) {
        const path = `/events/${encodeURIComponent(providerWebinarId)}/self-registrations`;
        return (await simCall<{ providerRegistrantId: string }>(sim.url, "POST", path, person))
          .providerRegistrantId;
      },
      async cancel(providerWebinarId, id) {
        await simCall(sim.url, "POST", `/events/${providerWebinarId}/self-registrations/${id}/cancel`);
      },
      async remove(providerWebinarId, id) {
        await simCall(sim.url, "DELETE", `/events/${providerWebinarId}/self-registrations/${id}`);
      },
      // ON24 documents no paging for the event-level registrant list.
      pageSize: null,
      cancelVanishes: false,
    },

    close: () => sim.close(),
  };
}
