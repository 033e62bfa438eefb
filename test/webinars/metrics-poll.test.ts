import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { createMetricsPollHandler, INGEST_CHUNK } from "../../src/modules/webinars/sync/metrics-poll.ts";
import { createPeopleMatcher } from "../../src/modules/webinars/sync/people.ts";
import type { ProviderCaller } from "../../src/modules/webinars/sync/provider-call.ts";
import type { AttendancePage, AttendanceRecord, WebinarProvider } from "../../src/providers/contract.ts";
import { forEachBackend, type TestContext, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, webinarIdOf, webinarSetup } from "./fixtures.ts";

/**
 * The metrics poll's writes, driven with pages we build (no provider): a page longer than
 * one write chunk, people reported twice, people without minutes, people we know only by
 * address and people we do not know at all. What is stored must be what writing the records
 * one by one, in order, would store, and polling the same pages again must change nothing.
 */
const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/** Provider ids of the seeded registrants: 900000, 900001, … */
const FIRST_ID = 900_000;
const SEEDED = INGEST_CHUNK + 500;
const T0 = Date.parse("2025-03-04T17:00:00Z");

function record(i: number, over: Partial<AttendanceRecord> = {}): AttendanceRecord {
  const live = i % 5 === 0 ? 0 : (i % 47) + 1; // every fifth watched nothing live
  return {
    providerRegistrantId: String(FIRST_ID + i),
    email: `poll${i}@example.com`,
    firstName: `P${i}`,
    lastName: "Poll",
    company: null,
    jobTitle: null,
    liveMinutes: live,
    onDemandMinutes: i % 10 === 0 ? 0 : i % 3, // so every tenth has no minutes at all
    engagementScore: i % 7 === 0 ? null : (i % 100) / 10,
    questionsAsked: i % 4,
    pollsAnswered: i % 2,
    resourcesDownloaded: i % 3,
    firstActivityAt: i % 11 === 0 ? null : new Date(T0 + i * 1000),
    lastActivityAt: i % 11 === 0 ? null : new Date(T0 + i * 1000 + live * 60_000),
    ...over,
  };
}

async function seed(ctx: TestContext, s: { organizationId: string; eventId: string; webinarId: string }) {
  const { db } = ctx.database;
  const webinar = await db
    .updateTable("webinars")
    .set({ state: "provisioned", provider_webinar_id: "777" })
    .where("id", "=", s.webinarId)
    .returning(["configuration_id", "session_id"])
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO contacts (id, organization_id, first_name, last_name, email, email_normalized)
    SELECT gen_random_uuid(), ${s.organizationId}::uuid, 'P' || i, 'Poll', 'poll' || i || '@example.com', 'poll' || i || '@example.com'
    FROM generate_series(0, ${SEEDED - 1}::int) AS i`.execute(db);
  await sql`INSERT INTO registrations (id, organization_id, event_id, contact_id, status, source)
    SELECT gen_random_uuid(), ${s.organizationId}::uuid, ${s.eventId}::uuid, c.id, 'registered', 'api'
    FROM contacts c WHERE c.organization_id = ${s.organizationId}::uuid AND c.email LIKE 'poll%'`.execute(db);
  // Everyone but the last seeded person was synced; that one is known by address only.
  await sql`INSERT INTO registration_syncs (registration_id, webinar_id, organization_id, configuration_id, state, provider_registrant_id, synced_at)
    SELECT r.id, ${s.webinarId}::uuid, ${s.organizationId}::uuid, ${webinar.configuration_id}::uuid, 'synced',
      (${FIRST_ID}::int + substring(c.email from 'poll(\\d+)@')::int)::text, now()
    FROM registrations r JOIN contacts c ON c.id = r.contact_id
    WHERE r.event_id = ${s.eventId}::uuid AND c.email <> ${`poll${SEEDED - 1}@example.com`}`.execute(db);
}

/** A caller that answers listAttendance from the given pages (cursor = page index). */
function pagesCaller(pages: AttendanceRecord[][]): ProviderCaller {
  const provider = {
    async listAttendance(_account, _id, cursor): Promise<AttendancePage> {
      const index = cursor === null ? 0 : Number(cursor);
      return {
        records: pages[index] ?? [],
        nextCursor: index + 1 < pages.length ? String(index + 1) : null,
      };
    },
  } as Pick<WebinarProvider, "listAttendance"> as WebinarProvider;
  return (async (_configurationId, fn) => ({
    kind: "ok",
    value: await fn(provider, { credentials: {}, settings: {} }),
  })) as ProviderCaller;
}

/** Everything the poll writes for the webinar, keyed by person, without the write times. */
async function snapshot(ctx: TestContext, webinarId: string, eventId: string) {
  const { db } = ctx.database;
  const attendance = await db
    .selectFrom("attendance as a")
    .innerJoin("registrations as r", "r.id", "a.registration_id")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select([
      "c.email_normalized as email",
      "r.source",
      "r.attended_minutes",
      "a.live_minutes",
      "a.on_demand_minutes",
      "a.engagement_score",
      "a.questions_asked",
      "a.polls_answered",
      "a.resources_downloaded",
      "a.first_activity_at",
      "a.last_activity_at",
    ])
    .where("a.webinar_id", "=", webinarId)
    .orderBy("c.email")
    .execute();
  const checkIns = await db
    .selectFrom("check_ins as k")
    .innerJoin("registrations as r", "r.id", "k.registration_id")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select([
      "k.id",
      "c.email_normalized as email",
      "k.viewing_minutes",
      "k.checked_in_at",
      "k.session_id",
      "k.event_id",
    ])
    .where("k.webinar_id", "=", webinarId)
    .orderBy("c.email")
    .execute();
  const syncs = await db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select(["c.email_normalized as email", "s.provider_registrant_id", "s.state"])
    .where("s.webinar_id", "=", webinarId)
    .orderBy("c.email")
    .execute();
  // The copy the trigger keeps must equal the sum over attendance, for every registration.
  const stale = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM registrations r
    WHERE r.event_id = ${eventId}::uuid AND r.attended_minutes <> coalesce(
      (SELECT sum(live_minutes + on_demand_minutes) FROM attendance a WHERE a.registration_id = r.id), 0)`.execute(
    db,
  );
  return { attendance, checkIns, syncs, stale: stale.rows[0]?.n };
}

forEachBackend("metrics poll writes", (ctx) => {
  let s: { organizationId: string; eventId: string; webinarId: string };

  before(async () => {
    const org = await ctx.createOrg("metrics-poll");
    const { eventId } = await webinarSetup(ctx, org);
    s = { organizationId: org.id, eventId, webinarId: await webinarIdOf(ctx, eventId) };
    await seed(ctx, s);
  });

  const poll = (pages: AttendanceRecord[][]) =>
    createMetricsPollHandler({
      db: ctx.database.db,
      queue: ctx.runtime.queue,
      call: pagesCaller(pages),
      contacts: ctx.services.contacts,
    })({ webinarId: s.webinarId, early: true });

  test("a page longer than a chunk, repeats, walk-ins and address-only people store what one-by-one writes would", async () => {
    assert.ok(SEEDED > INGEST_CHUNK, "the page spans more than one write chunk");
    const last = SEEDED - 1;
    const page = Array.from({ length: SEEDED }, (_, i) => record(i));
    // Person 3 twice in the first chunk: first without minutes, then twice with different ones.
    page.push(record(3, { liveMinutes: 0, onDemandMinutes: 0, firstActivityAt: new Date(T0 - 5000) }));
    page.splice(
      10,
      0,
      record(3, { liveMinutes: 9, onDemandMinutes: 1, firstActivityAt: new Date(T0 - 9000) }),
    );
    page.splice(
      20,
      0,
      record(3, { liveMinutes: 4, onDemandMinutes: 2, firstActivityAt: new Date(T0 - 7000) }),
    );
    // The last seeded person, reported under a provider id we have no sync row for.
    page[page.findIndex((r) => r.providerRegistrantId === String(FIRST_ID + last))] = record(last, {
      providerRegistrantId: "555001",
    });
    // A walk-in (unknown id and address), in the second chunk.
    page.push(record(0, { providerRegistrantId: "555002", email: "Walk.In@Example.com", liveMinutes: 12 }));

    await poll([page]);
    const got = await snapshot(ctx, s.webinarId, s.eventId);
    assert.equal(got.stale, 0, "registrations.attended_minutes equals the attendance sum");
    assert.equal(got.attendance.length, SEEDED + 1, "one attendance row per person");

    const row = (email: string) => got.attendance.find((a) => a.email === email);
    const checkIn = (email: string) => got.checkIns.find((k) => k.email === email);
    // Person 3: attendance from the record that came last (no minutes, in the next chunk), the
    // check-in from the records with minutes: time from the first of them, minutes from the last.
    assert.equal(record(3).liveMinutes + record(3).onDemandMinutes, 4);
    assert.equal(row("poll3@example.com")?.live_minutes, 0);
    assert.equal(row("poll3@example.com")?.attended_minutes, 0);
    assert.equal(checkIn("poll3@example.com")?.viewing_minutes, 6);
    assert.equal(checkIn("poll3@example.com")?.checked_in_at.getTime(), T0 + 3000);

    // Everyone else as reported, with a check-in exactly when they have minutes.
    for (const i of [1, 2, 5, 10, 11, 22, 1999, 2000, 2001, last]) {
      const r = record(i);
      const a = row(`poll${i}@example.com`);
      assert.ok(a, `poll${i} stored`);
      assert.deepEqual(
        [a.live_minutes, a.on_demand_minutes, a.engagement_score, a.questions_asked, a.polls_answered],
        [r.liveMinutes, r.onDemandMinutes, r.engagementScore, r.questionsAsked, r.pollsAnswered],
        `poll${i}`,
      );
      assert.equal(a.resources_downloaded, r.resourcesDownloaded);
      assert.equal(a.first_activity_at?.getTime() ?? null, r.firstActivityAt?.getTime() ?? null);
      assert.equal(a.last_activity_at?.getTime() ?? null, r.lastActivityAt?.getTime() ?? null);
      assert.equal(a.attended_minutes, r.liveMinutes + r.onDemandMinutes);
      const k = checkIn(`poll${i}@example.com`);
      if (r.liveMinutes + r.onDemandMinutes === 0) assert.equal(k, undefined, `poll${i} has no check-in`);
      else {
        assert.equal(k?.viewing_minutes, r.liveMinutes + r.onDemandMinutes);
        // No activity time reported: checked in at the poll's time instead.
        if (r.firstActivityAt) assert.equal(k?.checked_in_at.getTime(), r.firstActivityAt.getTime());
        else assert.ok(k && Math.abs(k.checked_in_at.getTime() - Date.now()) < 60_000);
      }
    }
    const withMinutes = page.filter((r) => r.liveMinutes + r.onDemandMinutes > 0);
    const people = new Set(withMinutes.map((r) => r.email.toLowerCase()));
    assert.equal(got.checkIns.length, people.size);

    // The address-only person got a sync row with the id the provider reported.
    const sync = (email: string) => got.syncs.find((x) => x.email === email);
    assert.equal(sync(`poll${last}@example.com`)?.provider_registrant_id, "555001");
    assert.equal(sync(`poll${last}@example.com`)?.state, "synced");
    // The walk-in is a provider registration with a sync row, attendance and a check-in.
    assert.equal(row("walk.in@example.com")?.source, "provider");
    assert.equal(row("walk.in@example.com")?.live_minutes, 12);
    assert.equal(sync("walk.in@example.com")?.provider_registrant_id, "555002");
    assert.equal(got.syncs.length, SEEDED + 1);

    // The same page again (the poll repeats until the provider's window closes): nothing changes,
    // not even the check-ins' ids.
    await poll([page]);
    assert.deepEqual(await snapshot(ctx, s.webinarId, s.eventId), got);

    // The same records split over pages give the same result too.
    await poll([page.slice(0, 700), page.slice(700, 2600), page.slice(2600)]);
    assert.deepEqual(await snapshot(ctx, s.webinarId, s.eventId), got);
  });

  test("new minutes replace the old ones, and the registration's copy follows", async () => {
    const before = await snapshot(ctx, s.webinarId, s.eventId);
    assert.ok(!before.checkIns.some((k) => k.email === "poll10@example.com"), "poll10 had no minutes");
    await poll([[record(1, { liveMinutes: 40, onDemandMinutes: 5 }), record(10, { liveMinutes: 3 })]]);
    const got = await snapshot(ctx, s.webinarId, s.eventId);
    assert.equal(got.stale, 0);
    const row = (email: string) => got.attendance.find((a) => a.email === email);
    assert.equal(row("poll1@example.com")?.attended_minutes, 45);
    assert.equal(row("poll10@example.com")?.attended_minutes, 3);
    const k1 = got.checkIns.find((k) => k.email === "poll1@example.com");
    const k1Before = before.checkIns.find((k) => k.email === "poll1@example.com");
    assert.equal(k1?.viewing_minutes, 45);
    assert.equal(k1?.id, k1Before?.id, "the check-in is updated, not added");
    assert.equal(k1?.checked_in_at.getTime(), k1Before?.checked_in_at.getTime());
    assert.equal(got.checkIns.find((k) => k.email === "poll10@example.com")?.viewing_minutes, 3);
    assert.equal(got.checkIns.length, before.checkIns.length + 1);
  });

  test("people are matched with more provider ids than PostgreSQL allows bind parameters", async () => {
    const people = createPeopleMatcher({ contacts: ctx.services.contacts });
    const webinar = await ctx.database.db
      .selectFrom("webinars")
      .select(["id", "organization_id", "configuration_id", "event_id", "session_id"])
      .where("id", "=", s.webinarId)
      .executeTakeFirstOrThrow();
    // 70,000 ids (65,535 is the protocol's limit): the seeded ones among many unknown ones.
    const ids = Array.from({ length: 70_000 }, (_, i) => String(FIRST_ID - 60_000 + i));
    const found = await ctx.database.db.transaction().execute((trx) =>
      people.match(
        trx,
        webinar,
        ids.map((providerRegistrantId) => ({ providerRegistrantId, email: null })),
      ),
    );
    assert.equal(found.length, ids.length);
    const known = found.filter((x) => x !== undefined);
    assert.equal(known.length, SEEDED - 1, "everyone with a sync row, no one else");
    assert.equal(found[60_000 - 1], undefined);
    const first = await ctx.database.db
      .selectFrom("registration_syncs")
      .select("registration_id")
      .where("webinar_id", "=", s.webinarId)
      .where("provider_registrant_id", "=", String(FIRST_ID))
      .executeTakeFirstOrThrow();
    assert.equal(found[60_000], first.registration_id);
  });
});
