import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

const base = {
  title: "Launch week",
  startsAt: "2026-03-27T09:00",
  endsAt: "2026-03-27T17:00",
  timeZone: "Europe/Oslo",
  format: "hybrid",
};

forEachBackend("events", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg();
  });

  test("creates an event from wall-clock times in its zone and shows both UTC and local", async () => {
    const res = await ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body: base });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.startsAt, "2026-03-27T08:00:00.000Z");
    assert.equal(res.body.startsAtLocal, "2026-03-27T09:00:00+01:00");
    assert.equal(res.body.status, "draft");
    assert.match(res.body.slug, /^launch-week-[0-9a-f]{6}$/);
  });

  test("the same wall-clock time after the DST change is one hour earlier in UTC", async () => {
    const res = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...base, startsAt: "2026-03-30T09:00", endsAt: "2026-03-30T17:00" },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.startsAt, "2026-03-30T07:00:00.000Z");
    assert.equal(res.body.startsAtLocal, "2026-03-30T09:00:00+02:00");
  });

  test("a time in the DST gap is refused naming the field, and nothing is written", async () => {
    const before = await ctx.request("GET", "/api/v1/events?limit=500", { token: org.tokens.viewer });
    const res = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...base, startsAt: "2026-03-29T02:30", endsAt: "2026-03-29T05:00" },
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.field, "startsAt");
    const afterList = await ctx.request("GET", "/api/v1/events?limit=500", { token: org.tokens.viewer });
    assert.equal(afterList.body.data.length, before.body.data.length);
  });

  test("viewers cannot create; unknown fields and bad zones are 400 naming the field", async () => {
    assert.equal(
      (await ctx.request("POST", "/api/v1/events", { token: org.tokens.viewer, body: base })).status,
      403,
    );
    const unknown = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...base, colour: "red" },
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, "colour");
    const zone = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...base, timeZone: "Mars/Base" },
    });
    assert.equal(zone.status, 400);
    assert.equal(zone.body.error.field, "timeZone");
  });

  test("lists with a cursor, newest first, without repeats", async () => {
    const own = await ctx.createOrg("paging");
    for (let i = 0; i < 5; i++) {
      await ctx.request("POST", "/api/v1/events", {
        token: own.tokens.marketer,
        body: { ...base, title: `E${i}` },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { title: string }[]; nextCursor: string | null } } = await ctx.request(
        "GET",
        `/api/v1/events?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { token: own.tokens.viewer },
      );
      seen.push(...res.body.data.map((e) => e.title));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ["E4", "E3", "E2", "E1", "E0"]);
  });
});
