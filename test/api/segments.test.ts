import assert from "node:assert/strict";
import { before, test } from "node:test";
import { parse } from "csv-parse/sync";
import { sql } from "kysely";
import {
  CONTACT_SEGMENT_COLUMNS,
  REGISTRATION_SEGMENT_COLUMNS,
} from "../../src/modules/segments/segments.service.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/**
 * Segments (issue 16): registrations and contacts by their results across events, on a seeded
 * data set whose every count is known. Registrations are made by the registration service
 * (with their source and campaign), attendance rows are written as the metrics poll writes
 * them (one row per registration and webinar; the trigger keeps the minutes sum), and an
 * on-site check-in goes through the API.
 *
 * Seed (c0…c11 are contacts):
 * - Keynote (2030-03-10, webinar K): c0…c9; c0–c4 public from utm newsletter/email, c5–c6
 *   public from linkedin/social, c7–c9 by API; c9 cancelled. Minutes: c0 45 (engagement 80),
 *   c1 35 (40), c2 35 (55), c3 29 (20), c5 60 on demand (70), c7 5 (none); c4, c6, c8 none.
 * - Workshop (2030-04-15, webinar W): c0…c3 by API, c10–c11 imported. c0 20 (90), c10 50 (10).
 * - Hybrid day (2030-05-20, on site): c4 (checked in), c5.
 */
type Seeded = { events: Record<string, string>; contacts: string[]; regs: Record<string, string> };

forEachBackend("segments", (ctx) => {
  let org: TestOrg;
  const seed: Seeded = { events: {}, contacts: [], regs: {} };

  const get = (path: string, headers?: Record<string, string>) =>
    ctx.request("GET", path, { token: org.tokens.viewer, ...(headers && { headers }) });
  const count = async (kind: "registrations" | "contacts", query: string) => {
    const res = await get(`/api/v1/segments/${kind}?${query}`);
    assert.equal(res.status, 200, `${query}: ${res.text}`);
    return res.body.total as number;
  };

  before(async () => {
    org = await ctx.createOrg("segments");
    const { db } = ctx.database;
    const configId = crypto.randomUUID();
    await sql`insert into webinar_configurations (id, organization_id, provider, name, updated_at)
      values (${configId}, ${org.id}, 'on24', 'segments', now())`.execute(db);
    const webinars: Record<string, string> = {};
    for (const [key, title, day, format] of [
      ["keynote", "Keynote", "2030-03-10", "webinar"],
      ["workshop", "Workshop", "2030-04-15", "webinar"],
      ["hybrid", "Hybrid day", "2030-05-20", "onsite"],
    ] as const) {
      const event = await ctx.request("POST", "/api/v1/events", {
        token: org.tokens.marketer,
        body: { title, startsAt: `${day}T09:00`, endsAt: `${day}T17:00`, timeZone: "Europe/Oslo", format },
      });
      assert.equal(event.status, 201, event.text);
      seed.events[key] = event.body.id;
      if (format === "webinar") {
        webinars[key] = crypto.randomUUID();
        await sql`insert into webinars (id, organization_id, configuration_id, event_id, state, updated_at)
          values (${webinars[key]}, ${org.id}, ${configId}, ${event.body.id}, 'provisioned', now())`.execute(
          db,
        );
      }
    }
    const person = (i: number) => ({ firstName: `C${i}`, lastName: "Seed", email: `c${i}@example.com` });
    const register = async (
      event: string,
      i: number,
      source: "api" | "public" | "import",
      campaign?: Record<string, string | null>,
    ) => {
      const { registration } = await ctx.services.registrations.register(
        org.id,
        seed.events[event] as string,
        {
          contact: person(i),
          sessionIds: [],
          source,
          ...(campaign && {
            campaign: {
              utm_source: campaign.utmSource ?? null,
              utm_medium: campaign.utmMedium ?? null,
              utm_campaign: null,
              utm_term: null,
              utm_content: null,
              referrer: null,
            },
          }),
        },
      );
      seed.regs[`${event}:c${i}`] = registration.id;
      seed.contacts[i] = registration.contact.id;
    };
    for (let i = 0; i <= 9; i++) {
      if (i <= 4) await register("keynote", i, "public", { utmSource: "newsletter", utmMedium: "email" });
      else if (i <= 6) await register("keynote", i, "public", { utmSource: "linkedin", utmMedium: "social" });
      else await register("keynote", i, "api");
    }
    for (const i of [0, 1, 2, 3]) await register("workshop", i, "api");
    for (const i of [10, 11]) await register("workshop", i, "import");
    for (const i of [4, 5]) await register("hybrid", i, "api");
    const cancelled = await ctx.request("POST", `/api/v1/registrations/${seed.regs["keynote:c9"]}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal(cancelled.status, 200);

    // [registration, webinar, live, on demand, engagement, questions, polls]
    const attendance: [string, string, number, number, number | null, number, number][] = [
      ["keynote:c0", "keynote", 45, 0, 80, 2, 1],
      ["keynote:c1", "keynote", 30, 5, 40, 0, 1],
      ["keynote:c2", "keynote", 10, 25, 55, 1, 0],
      ["keynote:c3", "keynote", 29, 0, 20, 0, 0],
      ["keynote:c5", "keynote", 0, 60, 70, 0, 2],
      ["keynote:c7", "keynote", 5, 0, null, 0, 0],
      ["workshop:c0", "workshop", 20, 0, 90, 3, 0],
      ["workshop:c10", "workshop", 50, 0, 10, 0, 0],
    ];
    for (const [reg, webinar, live, onDemand, score, questions, polls] of attendance)
      await sql`insert into attendance (registration_id, webinar_id, organization_id, live_minutes,
          on_demand_minutes, engagement_score, questions_asked, polls_answered, first_activity_at, last_activity_at)
        values (${seed.regs[reg]}, ${webinars[webinar]}, ${org.id}, ${live}, ${onDemand}, ${score},
          ${questions}, ${polls}, '2030-03-10T08:00:00Z', '2030-03-10T09:00:00Z')`.execute(db);
    const checkIn = await ctx.request("POST", `/api/v1/events/${seed.events.hybrid}/check-ins`, {
      token: org.tokens.marketer,
      body: { registrationId: seed.regs["hybrid:c4"] },
    });
    assert.equal(checkIn.status, 201, checkIn.text);

    // Another organization's results never count.
    const other = await ctx.createOrg("segments-other");
    const otherEvent = await ctx.request("POST", "/api/v1/events", {
      token: other.tokens.marketer,
      body: {
        title: "Other",
        startsAt: "2030-03-10T09:00",
        endsAt: "2030-03-10T10:00",
        timeZone: "UTC",
        format: "webinar",
      },
    });
    assert.equal(otherEvent.status, 201, otherEvent.text);
    await ctx.services.registrations.register(other.id, otherEvent.body.id, {
      contact: person(0),
      sessionIds: [],
      source: "public",
    });
  });

  test("registrations: exact counts per filter", async () => {
    const k = seed.events.keynote;
    const expected: [string, number][] = [
      ["", 17],
      ["attended=true", 9],
      ["attended=false", 8],
      ["minMinutes=30", 5],
      [`minMinutes=30&eventId=${k}`, 4],
      [`attended=true&minMinutes=30&eventId=${k}`, 4],
      ["minEngagement=50", 4],
      ["minEngagement=90", 1],
      [`eventId=${k}&attended=false`, 3],
      [`eventId=${k}&attended=false&status=any`, 4],
      [`eventId=${k}&status=cancelled`, 1],
      ["from=2030-04-01&to=2030-05-31", 8],
      ["from=2030-04-01&to=2030-05-20", 8],
      ["from=2030-04-01&to=2030-05-19", 6],
      ["from=2030-03-10T08:00:00Z&to=2030-03-10T08:00:01Z", 10 - 1],
      ["source=import", 2],
      ["source=public", 7],
      ["source=public&attended=false", 2],
      ["utmSource=newsletter", 5],
      ["utmSource=newsletter&utmMedium=email&minMinutes=30", 3],
      ["utmSource=linkedin", 2],
      ["utmSource=direct", 10],
    ];
    for (const [query, n] of expected) assert.equal(await count("registrations", query), n, query);
  });

  test("registrations carry their results and campaign", async () => {
    const res = await get(`/api/v1/segments/registrations?eventId=${seed.events.keynote}&minEngagement=80`);
    assert.equal(res.body.data.length, 1);
    const row = res.body.data[0];
    assert.equal(row.id, seed.regs["keynote:c0"]);
    assert.equal(row.eventTitle, "Keynote");
    assert.equal(row.contact.email, "c0@example.com");
    assert.deepEqual(row.results, {
      attended: true,
      liveMinutes: 45,
      onDemandMinutes: 0,
      engagementScore: 80,
      questionsAsked: 2,
      pollsAnswered: 1,
      firstJoinAt: "2030-03-10T08:00:00.000Z",
      lastLeaveAt: "2030-03-10T09:00:00.000Z",
    });
    assert.equal(row.campaign.utmSource, "newsletter");
    const hybrid = await get(`/api/v1/segments/registrations?eventId=${seed.events.hybrid}&attended=true`);
    assert.equal(hybrid.body.data[0].id, seed.regs["hybrid:c4"], "an on-site check-in is attendance");
    assert.equal(hybrid.body.data[0].results.liveMinutes, 0);
  });

  test("contacts: exact counts, with sums over their matching registrations", async () => {
    const expected: [string, number][] = [
      ["", 11],
      ["attended=true", 8],
      ["attended=false", 8],
      ["minMinutes=30", 5],
      [`eventId=${seed.events.keynote}&minMinutes=30`, 4],
      ["source=import", 2],
    ];
    for (const [query, n] of expected) assert.equal(await count("contacts", query), n, query);
    const res = await get("/api/v1/segments/contacts?attended=true&limit=500");
    const c0 = res.body.data.find((c: { email: string }) => c.email === "c0@example.com");
    assert.deepEqual(
      [c0.registrations, c0.attendedRegistrations, c0.liveMinutes, c0.onDemandMinutes, c0.engagementScore],
      [2, 2, 65, 0, 90],
    );
    assert.equal(c0.questionsAsked, 5);
    const noShows = await get("/api/v1/segments/contacts?attended=false&limit=500");
    const c1 = noShows.body.data.find((c: { email: string }) => c.email === "c1@example.com");
    assert.deepEqual(
      [c1.registrations, c1.attendedRegistrations, c1.liveMinutes],
      [1, 0, 0],
      "workshop only",
    );
  });

  test("cursor pages return every row exactly once, also with rows added while paging", async () => {
    for (const kind of ["registrations", "contacts"] as const) {
      const all = await get(`/api/v1/segments/${kind}?status=any&limit=500`);
      const expected: string[] = all.body.data.map((r: { id: string }) => r.id);
      assert.equal(expected.length, all.body.total);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(
          `/api/v1/segments/${kind}?status=any&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.data.length <= 3);
        seen.push(...res.body.data.map((r: { id: string }) => r.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      assert.deepEqual(seen, expected, kind);
      assert.equal(new Set(seen).size, seen.length, `${kind}: a row came twice`);
      assert.equal(pages, Math.ceil(expected.length / 3));
    }
    // A registration made between two pages comes once, on a later page (ids are time-ordered).
    const first = await get("/api/v1/segments/registrations?status=any&limit=5");
    const { registration } = await ctx.services.registrations.register(org.id, seed.events.hybrid as string, {
      contact: { firstName: "Late", lastName: "Comer", email: "late@example.com" },
      sessionIds: [],
      source: "api",
    });
    const seen: string[] = first.body.data.map((r: { id: string }) => r.id);
    let cursor: string | null = first.body.nextCursor;
    while (cursor) {
      const res = await get(
        `/api/v1/segments/registrations?status=any&limit=5&cursor=${encodeURIComponent(cursor)}`,
      );
      seen.push(...res.body.data.map((r: { id: string }) => r.id));
      cursor = res.body.nextCursor;
    }
    assert.equal(seen.filter((id) => id === registration.id).length, 1);
    assert.equal(new Set(seen).size, 19);
    await ctx.request("POST", `/api/v1/registrations/${registration.id}/cancel`, {
      token: org.tokens.marketer,
    });
  });

  test("CSV: the columns, every row of the segment, by Accept or format", async () => {
    const byAccept = await get(`/api/v1/segments/registrations?attended=true`, { accept: "text/csv" });
    assert.equal(byAccept.status, 200);
    assert.match(String(byAccept.headers["content-type"]), /^text\/csv/);
    const rows: string[][] = parse(byAccept.text);
    assert.deepEqual(rows[0], REGISTRATION_SEGMENT_COLUMNS);
    assert.equal(rows.length - 1, 9);
    const col = (name: string) => REGISTRATION_SEGMENT_COLUMNS.indexOf(name);
    const c0 = rows.find((r) => r[col("registration_id")] === seed.regs["keynote:c0"]) as string[];
    assert.deepEqual(
      [
        "attended",
        "live_minutes",
        "on_demand_minutes",
        "engagement_score",
        "questions_asked",
        "polls_answered",
        "utm_source",
        "utm_medium",
        "source",
      ].map((c) => c0[col(c)]),
      ["yes", "45", "0", "80", "2", "1", "newsletter", "email", "public"],
    );
    assert.equal(c0[col("first_join")], "2030-03-10T08:00:00.000Z");
    const byFormat = await get(`/api/v1/segments/contacts?attended=false&format=csv`);
    const contacts: string[][] = parse(byFormat.text);
    assert.deepEqual(contacts[0], CONTACT_SEGMENT_COLUMNS);
    assert.equal(contacts.length - 1, 8);
  });

  test("bad filters answer 422 naming the parameter; unknown ones 400", async () => {
    const bad: [string, string][] = [
      ["attended=maybe", "attended"],
      ["minMinutes=abc", "minMinutes"],
      ["minMinutes=-1", "minMinutes"],
      ["minEngagement=lots", "minEngagement"],
      ["eventId=keynote", "eventId"],
      ["from=2030-13-01", "from"],
      ["to=yesterday", "to"],
      ["from=2030-05-01&to=2030-04-01", "to"],
      ["status=gone", "status"],
      ["source=fax", "source"],
      ["utmSource=", "utmSource"],
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["format=xml", "format"],
    ];
    for (const kind of ["registrations", "contacts"])
      for (const [query, field] of bad) {
        const res = await get(`/api/v1/segments/${kind}?${query}`);
        assert.equal(res.status, 422, `${query}: ${res.text}`);
        assert.equal(res.body.error.field, field, query);
      }
    const unknown = await get("/api/v1/segments/registrations?colour=red");
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, "colour");
    assert.equal((await ctx.request("GET", "/api/v1/segments/registrations")).status, 401);
  });

  test("the registrations CSV, the API and a contact's export carry the results", async () => {
    const csv = await get(`/api/v1/events/${seed.events.keynote}/registrations.csv`);
    const rows: string[][] = parse(csv.text);
    const header = rows[0] as string[];
    for (const c of [
      "attended",
      "live_minutes",
      "engagement_score",
      "first_join",
      "last_leave",
      "utm_source",
      "referrer",
    ])
      assert.ok(header.includes(c), c);
    const c5 = rows.find((r) => r[0] === seed.regs["keynote:c5"]) as string[];
    assert.equal(c5[header.indexOf("on_demand_minutes")], "60");
    assert.equal(c5[header.indexOf("attended")], "yes");
    assert.equal(c5[header.indexOf("utm_source")], "linkedin");
    const c8 = rows.find((r) => r[0] === seed.regs["keynote:c8"]) as string[];
    assert.equal(c8[header.indexOf("attended")], "no");

    const api = await get(`/api/v1/registrations/${seed.regs["keynote:c2"]}`);
    assert.equal(api.body.results.liveMinutes, 10);
    assert.equal(api.body.results.onDemandMinutes, 25);
    assert.equal(api.body.results.engagementScore, 55);
    const list = await get(`/api/v1/events/${seed.events.workshop}/registrations?limit=10`);
    const c10 = list.body.data.find((r: { id: string }) => r.id === seed.regs["workshop:c10"]);
    assert.equal(c10.results.liveMinutes, 50);

    const exported = await ctx.request("GET", `/api/v1/contacts/${seed.contacts[0]}/export`, {
      token: org.tokens.admin,
    });
    const keynote = exported.body.registrations.find((r: { id: string }) => r.id === seed.regs["keynote:c0"]);
    assert.equal(keynote.results.liveMinutes, 45);
    assert.equal(keynote.results.attended, true);
    assert.equal(keynote.campaign.utmMedium, "email");
    const flat = await ctx.request("GET", `/api/v1/contacts/${seed.contacts[0]}/export?format=csv`, {
      token: org.tokens.admin,
    });
    assert.match(flat.text, new RegExp(`registration,${seed.regs["keynote:c0"]},results.liveMinutes,45`));
  });
});
