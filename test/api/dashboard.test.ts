import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  ON24_ACCOUNT,
  registerMany,
  type Simulator,
  startSimulator,
  syncCounts,
  waitUntil,
  webinarSetup,
} from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

interface On24Attendee {
  email: string;
  liveminutes: number;
  archiveminutes: number;
  engagementscore: number | null;
  askedquestions: number;
  answeredpolls: number;
  resourcesdownloaded: number;
}

/** What the simulator recorded, read through ON24's own attendee API. */
async function simulatorAttendees(providerWebinarId: string) {
  const res = await fetch(
    `${sim.baseUrls.NA}/client/${ON24_ACCOUNT.clientId}/event/${providerWebinarId}/attendee`,
    {
      headers: {
        accessTokenKey: ON24_ACCOUNT.accessTokenKey,
        accessTokenSecret: ON24_ACCOUNT.accessTokenSecret,
      },
    },
  );
  assert.equal(res.status, 200);
  return ((await res.json()) as { attendees: On24Attendee[] }).attendees;
}

const BUCKETS = [0, 5, 15, 30, 45, 60, 90];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

forEachBackend("webinar dashboard", (ctx) => {
  let org: TestOrg;
  let eventId: string;
  let attendees: On24Attendee[];
  const dashboard = (id: string, query = "", token = org.tokens.viewer) =>
    ctx.request("GET", `/api/v1/events/${id}/webinar-dashboard${query}`, { token });

  before(async () => {
    await ctx.services.syncWorker.start();
    org = await ctx.createOrg("dashboard");
    ({ eventId } = await webinarSetup(ctx, org));
    const ids = await registerMany(ctx, org, eventId, 30, "dash");
    await ctx.request("POST", `/api/v1/registrations/${ids[0]}/cancel`, { token: org.tokens.marketer });
    await waitUntil("synced", async () => {
      const counts = await syncCounts(ctx, eventId);
      return counts.synced === 29 && counts.cancelled === 1;
    });
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer })
    ).body.data[0];
    const run = await fetch(`${sim.url}/_sim/events/${webinar.providerWebinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ seed: 7, attendanceRate: 0.75, walkIns: 3 }),
    });
    assert.equal(run.status, 200, await run.text());
    await ctx.request("POST", `/api/v1/webinars/${webinar.id}/poll`, { token: org.tokens.marketer });
    await waitUntil("attendance stored", async () => {
      const w = (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer }))
        .body.data[0];
      return w.lastMetricsAt !== null;
    });
    attendees = await simulatorAttendees(webinar.providerWebinarId);
    assert.ok(attendees.length > 5, "the simulated webinar had an audience");
  });

  test("funnel, histogram, live vs on demand and interactions equal the simulator's attendance", async () => {
    const res = await dashboard(eventId);
    assert.equal(res.status, 200, res.text);
    const d = res.body;
    const minutes = (a: On24Attendee) => a.liveminutes + a.archiveminutes;
    const watched = attendees.filter((a) => minutes(a) > 0);
    // 29 active registrations (one cancelled) + 3 walk-ins who became registrations.
    assert.equal(d.funnel.registered, 32);
    assert.equal(d.funnel.attendedLive, attendees.filter((a) => a.liveminutes > 0).length);
    assert.equal(d.funnel.watchedOnDemand, attendees.filter((a) => a.archiveminutes > 0).length);
    assert.equal(d.funnel.noShow, 32 - watched.length);
    assert.deepEqual(
      d.minutesHistogram,
      BUCKETS.map((from, i) => ({
        fromMinutes: from,
        toMinutes: BUCKETS[i + 1] ?? null,
        count: watched.filter((a) => minutes(a) >= from && minutes(a) < (BUCKETS[i + 1] ?? Infinity)).length,
      })),
    );
    assert.equal(sum(d.minutesHistogram.map((b: { count: number }) => b.count)), watched.length);
    assert.deepEqual(d.liveVsOnDemand, {
      liveMinutes: sum(attendees.map((a) => a.liveminutes)),
      onDemandMinutes: sum(attendees.map((a) => a.archiveminutes)),
      liveViewers: d.funnel.attendedLive,
      onDemandViewers: d.funnel.watchedOnDemand,
    });
    assert.deepEqual(d.interactions, {
      questionsAsked: sum(attendees.map((a) => a.askedquestions)),
      pollsAnswered: sum(attendees.map((a) => a.answeredpolls)),
      resourcesDownloaded: sum(attendees.map((a) => a.resourcesdownloaded)),
    });
    // And the funnel from a direct query over the stored rows.
    const { rows } = await sql<{ registered: number; live: number; on_demand: number; none: number }>`
      select count(*)::int as registered,
        count(*) filter (where coalesce(a.live_minutes, 0) > 0)::int as live,
        count(*) filter (where coalesce(a.on_demand_minutes, 0) > 0)::int as on_demand,
        count(*) filter (where coalesce(a.live_minutes + a.on_demand_minutes, 0) = 0)::int as none
      from registrations r left join attendance a on a.registration_id = r.id
      where r.event_id = ${eventId} and r.status = 'registered'`.execute(ctx.database.db);
    assert.deepEqual(d.funnel, {
      registered: rows[0]?.registered,
      attendedLive: rows[0]?.live,
      watchedOnDemand: rows[0]?.on_demand,
      noShow: rows[0]?.none,
    });
    assert.equal(d.webinars.length, 1);
    assert.equal(d.webinars[0].provider, "on24");
    assert.equal(d.freshness.attendance, d.webinars[0].lastMetricsAt);
    assert.ok(Date.parse(d.freshness.computedAt) >= Date.parse(d.freshness.attendance));
    assert.equal(d.timeZone, "Europe/Oslo");
  });

  test("by channel: registrations and attendance per utm source and medium, direct when none", async () => {
    const { db } = ctx.database;
    // Campaigns on some of the registrations (as the public page would have stored them).
    const regs = await db
      .selectFrom("registrations")
      .select("id")
      .where("event_id", "=", eventId)
      .where("source", "=", "api")
      .orderBy("id")
      .execute();
    const ids = regs.map((r) => r.id);
    await db
      .updateTable("registrations")
      .set({ utm_source: "newsletter", utm_medium: "email" })
      .where("id", "in", ids.slice(0, 10))
      .execute();
    await db
      .updateTable("registrations")
      .set({ utm_source: "linkedin" })
      .where("id", "in", ids.slice(10, 15))
      .execute();
    const expected = await sql<{
      source: string;
      medium: string | null;
      registered: number;
      attended: number;
    }>`
      select coalesce(utm_source, 'direct') as source, utm_medium as medium, count(*)::int as registered,
        (count(*) filter (where attended_minutes > 0))::int as attended
      from registrations where event_id = ${eventId} and status = 'registered'
      group by 1, 2 order by registered desc, 1, 2 nulls first`.execute(db);
    const res = await dashboard(eventId);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.byChannel.map((c: Record<string, unknown>) => [
        c.source,
        c.medium,
        c.registered,
        c.attended,
        c.noShow,
      ]),
      expected.rows.map((r) => [r.source, r.medium, r.registered, r.attended, r.registered - r.attended]),
    );
    assert.deepEqual(res.body.byChannel.map((c: { source: string }) => c.source).sort(), [
      "direct",
      "linkedin",
      "newsletter",
    ]);
    assert.equal(
      sum(res.body.byChannel.map((c: { registered: number }) => c.registered)),
      res.body.funnel.registered,
    );
    assert.equal(
      sum(res.body.byChannel.map((c: { attended: number }) => c.attended)),
      res.body.funnel.registered - res.body.funnel.noShow,
    );
    const live = sum(res.body.byChannel.map((c: { liveMinutes: number }) => c.liveMinutes));
    assert.equal(live, res.body.liveVsOnDemand.liveMinutes);
  });

  test("top attendees: the ten most engaged, then by minutes, with the simulator's numbers", async () => {
    const d = (await dashboard(eventId)).body;
    const expected = attendees
      .filter((a) => a.liveminutes + a.archiveminutes > 0)
      .sort(
        (a, b) =>
          (b.engagementscore ?? -1) - (a.engagementscore ?? -1) ||
          b.liveminutes + b.archiveminutes - (a.liveminutes + a.archiveminutes),
      )
      .slice(0, 10);
    assert.equal(d.topAttendees.length, Math.min(10, expected.length));
    assert.deepEqual(
      d.topAttendees.map((t: { engagementScore: number; minutes: number }) => [t.engagementScore, t.minutes]),
      expected.map((a) => [a.engagementscore, a.liveminutes + a.archiveminutes]),
    );
    for (const t of d.topAttendees) {
      const a = attendees.find((x) => x.email.toLowerCase() === t.email.toLowerCase());
      assert.ok(a, `${t.email} attended`);
      assert.equal(t.minutes, a.liveminutes + a.archiveminutes);
    }
    // And the same ten registrations as a direct query over the stored attendance.
    const { rows } = await sql<{ id: string }>`select r.id from registrations r
      join attendance a on a.registration_id = r.id
      where r.event_id = ${eventId} and r.status = 'registered' and a.live_minutes + a.on_demand_minutes > 0
      order by a.engagement_score desc nulls last, a.live_minutes + a.on_demand_minutes desc, r.id
      limit 10`.execute(ctx.database.db);
    assert.deepEqual(
      d.topAttendees.map((t: { registrationId: string }) => t.registrationId),
      rows.map((r) => r.id),
    );
  });

  test("registrations over time are counted per day in the event's zone, gaps filled", async () => {
    const { db } = ctx.database;
    const regs = await db
      .selectFrom("registrations")
      .select("id")
      .where("event_id", "=", eventId)
      .where("status", "=", "registered")
      .orderBy("id")
      .execute();
    // 23:30 UTC is already the next day in Oslo (UTC+1 in November).
    const moves: [string, string][] = [
      [regs[0]?.id as string, "2026-11-02T23:30:00Z"],
      [regs[1]?.id as string, "2026-11-03T10:00:00Z"],
      [regs[2]?.id as string, "2026-11-05T22:59:00Z"],
    ];
    for (const [id, at] of moves)
      await sql`update registrations set created_at = ${at}::timestamptz where id = ${id}`.execute(db);
    const d = (await dashboard(eventId)).body;
    const series = d.registrationsOverTime as { date: string; count: number; cumulative: number }[];
    assert.deepEqual(series.slice(0, 3), [
      { date: "2026-11-03", count: 2, cumulative: 2 },
      { date: "2026-11-04", count: 0, cumulative: 2 },
      { date: "2026-11-05", count: 1, cumulative: 3 },
    ]);
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Oslo" }).format(new Date());
    assert.equal(series.at(-1)?.date, today);
    assert.equal(series.at(-1)?.cumulative, d.funnel.registered);
    for (let i = 1; i < series.length; i++) {
      const prev = Date.parse(`${series[i - 1]?.date}T00:00:00Z`);
      assert.equal(Date.parse(`${series[i]?.date}T00:00:00Z`) - prev, 86_400_000, "one entry per day");
    }
  });

  test("sessions: another event's session and another organization's event are 404", async () => {
    const other = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "On-site day",
        startsAt: "2030-06-01T09:00",
        endsAt: "2030-06-01T17:00",
        timeZone: "America/St_Johns",
        format: "onsite",
      },
    });
    assert.equal(other.status, 201, other.text);
    const session = await ctx.request("POST", `/api/v1/events/${other.body.id}/sessions`, {
      token: org.tokens.marketer,
      body: { title: "Morning", startsAt: "2030-06-01T09:00", endsAt: "2030-06-01T11:00" },
    });
    assert.equal(session.status, 201, session.text);
    assert.equal((await dashboard(eventId, `?sessionId=${session.body.id}`)).status, 404);
    const own = await dashboard(other.body.id, `?sessionId=${session.body.id}`);
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.sessionId, session.body.id);
    assert.equal(own.body.timeZone, "America/St_Johns");
    assert.deepEqual(own.body.webinars, []);
    assert.deepEqual(own.body.funnel, { registered: 0, attendedLive: 0, watchedOnDemand: 0, noShow: 0 });
    assert.equal(own.body.freshness.attendance, null);
    assert.deepEqual(own.body.registrationsOverTime, []);

    const stranger = await ctx.createOrg("stranger");
    assert.equal((await dashboard(eventId, "", stranger.tokens.owner)).status, 404);
    const bad = await dashboard(eventId, "?sessionId=nope");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, "sessionId");
    assert.equal((await dashboard(eventId, "?days=3")).body.error?.field, "days");
  });
});
