// Attendance after the first week (issue 15, point 7): the poll keeps a slow schedule up to the
// configured number of days after the webinar, backing off while the numbers stay the same and
// returning to the base interval when they move. Driven with a controlled clock: the handler
// decides by `now`, and the next job's delay is read back from the queue.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { createMetricsPollHandler } from "../../src/modules/webinars/sync/metrics-poll.ts";
import { DEFAULT_POLL_PLAN, nextTailPollInSeconds } from "../../src/modules/webinars/sync/poll-schedule.ts";
import type { ProviderCaller } from "../../src/modules/webinars/sync/provider-call.ts";
import type { AttendancePage, AttendanceRecord, WebinarProvider } from "../../src/providers/contract.ts";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, webinarSetup } from "./fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

const DAY = 24 * 3600;

/** What the provider reports: one viewer whose on-demand minutes the test moves. */
function viewer(onDemandMinutes: number): AttendanceRecord {
  return {
    providerRegistrantId: "tail-1",
    email: "tail-viewer@example.com",
    firstName: "Tail",
    lastName: "Viewer",
    company: null,
    jobTitle: null,
    liveMinutes: 20,
    onDemandMinutes,
    engagementScore: null,
    questionsAsked: 0,
    pollsAnswered: 0,
    resourcesDownloaded: 0,
    firstActivityAt: null,
    lastActivityAt: null,
  };
}

/** A caller answering the provider's current report (the test changes it between polls). */
function reportCaller(report: { records: AttendanceRecord[]; calls: number }): ProviderCaller {
  const provider = {
    async listAttendance(): Promise<AttendancePage> {
      report.calls++;
      return { records: report.records, nextCursor: null };
    },
  } as Pick<WebinarProvider, "listAttendance"> as WebinarProvider;
  return (async (_configurationId, fn) => ({
    kind: "ok",
    value: await fn(provider, { credentials: {}, settings: {} }),
  })) as ProviderCaller;
}

test("the slow schedule: base interval after a change, doubling to the cap, never past the end", () => {
  const plan = DEFAULT_POLL_PLAN;
  const end = new Date("2026-01-01T12:00:00Z");
  const at = (days: number) => new Date(end.getTime() + days * DAY * 1000);
  assert.equal(nextTailPollInSeconds(plan, end, at(8), { changed: true, seconds: 4 * DAY }), DAY);
  assert.equal(nextTailPollInSeconds(plan, end, at(8), { changed: false, seconds: null }), DAY);
  assert.equal(nextTailPollInSeconds(plan, end, at(8), { changed: false, seconds: DAY }), 2 * DAY);
  assert.equal(nextTailPollInSeconds(plan, end, at(8), { changed: false, seconds: 6 * DAY }), 7 * DAY);
  assert.equal(nextTailPollInSeconds(plan, end, at(89.5), { changed: false, seconds: DAY }), DAY / 2);
  assert.equal(nextTailPollInSeconds(plan, end, at(90), { changed: true, seconds: DAY }), null);
});

forEachBackend("attendance after the first week", (ctx) => {
  let webinarId: string;
  let endsAt: Date;
  const report = { records: [viewer(0)], calls: 0 };
  let clock = new Date();

  before(async () => {
    const org = await ctx.createOrg("attendance-tail");
    const { eventId } = await webinarSetup(ctx, org);
    await sql`INSERT INTO contacts (id, organization_id, first_name, last_name, email, email_normalized)
      VALUES (gen_random_uuid(), ${org.id}::uuid, 'Tail', 'Viewer', 'tail-viewer@example.com', 'tail-viewer@example.com')`.execute(
      ctx.database.db,
    );
    const webinar = await ctx.database.db
      .updateTable("webinars")
      .set({ state: "provisioned", provider_webinar_id: "tail-webinar" })
      .where("event_id", "=", eventId)
      .returning("id")
      .executeTakeFirstOrThrow();
    webinarId = webinar.id;
    const event = await ctx.database.db
      .selectFrom("events")
      .select("ends_at")
      .where("id", "=", eventId)
      .executeTakeFirstOrThrow();
    endsAt = event.ends_at;
  });

  /** One regular poll at `days` after the end; the delay of the poll it scheduled (null: none). */
  async function pollAt(days: number): Promise<number | null> {
    clock = new Date(endsAt.getTime() + days * DAY * 1000);
    const { db } = ctx.database;
    await sql`DELETE FROM pgboss.job WHERE name = 'metrics.poll' AND data->>'webinarId' = ${webinarId}`.execute(
      db,
    );
    const sentAt = Date.now();
    await createMetricsPollHandler({
      db,
      queue: ctx.runtime.queue,
      call: reportCaller(report),
      contacts: ctx.services.contacts,
      now: () => clock,
    })({ webinarId });
    const job = await sql<{ start_after: Date }>`
      SELECT start_after FROM pgboss.job WHERE name = 'metrics.poll' AND data->>'webinarId' = ${webinarId}
        AND state = 'created'`.execute(db);
    const row = job.rows[0];
    return row ? Math.round((new Date(row.start_after).getTime() - sentAt) / 1000) : null;
  }

  const near = (actual: number | null, expected: number, what: string) => {
    assert.ok(actual !== null, `${what}: a next poll is scheduled`);
    assert.ok(Math.abs(actual - expected) <= 5, `${what}: next poll in ${actual} s, expected ${expected} s`);
  };

  test("polling goes on after 7 days: backs off while unchanged, resets on a change, stops at 90 days", async () => {
    near(await pollAt(3), 3600, "inside the first week: hourly");
    near(await pollAt(7.5), DAY, "first slow poll (numbers differ from none): daily");
    near(await pollAt(8.5), 2 * DAY, "unchanged: doubled");
    near(await pollAt(10.5), 4 * DAY, "unchanged again: doubled");
    near(await pollAt(14.5), 7 * DAY, "unchanged: capped at 7 days");
    near(await pollAt(21.5), 7 * DAY, "unchanged: stays at the cap");

    // Someone watches the recording on day 27: the next poll sees it, stores it, and the
    // schedule goes back to daily.
    report.records = [viewer(35)];
    near(await pollAt(28.5), DAY, "changed: back to daily");
    const stored = await ctx.database.db
      .selectFrom("attendance")
      .select(["on_demand_minutes", "live_minutes"])
      .where("webinar_id", "=", webinarId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(stored, { on_demand_minutes: 35, live_minutes: 20 }, "the late viewing is stored");
    near(await pollAt(29.5), 2 * DAY, "unchanged after the change: doubled");
    const row = await ctx.database.db
      .selectFrom("webinars")
      .select(["tail_poll_seconds", "attendance_totals"])
      .where("id", "=", webinarId)
      .executeTakeFirstOrThrow();
    assert.equal(row.tail_poll_seconds, 2 * DAY);
    assert.doesNotMatch(row.attendance_totals ?? "", /@/, "totals hold no address");

    near(await pollAt(89.75), 0.25 * DAY, "the last poll falls on day 90");
    const calls = report.calls;
    assert.equal(await pollAt(90.01), null, "after 90 days: no further poll");
    assert.equal(report.calls, calls + 1, "that last poll still read the provider");
  });
});
