import assert from "node:assert/strict";
import { before, test } from "node:test";
import { publishedEvent } from "../helpers/events.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/** RFC 5545 unfolding, then each property's values by name (with parameters). */
function props(ics: string) {
  const map = new Map<string, string[]>();
  for (const line of ics
    .replace(/\r\n[ \t]/g, "")
    .split("\r\n")
    .filter(Boolean)) {
    const colon = line.indexOf(":");
    map.set(line.slice(0, colon), [...(map.get(line.slice(0, colon)) ?? []), line.slice(colon + 1)]);
  }
  return (name: string) => map.get(name) ?? [];
}

forEachBackend("registrant calendar: UID, SEQUENCE, time zone", (ctx) => {
  let org: TestOrg;

  before(async () => {
    org = await ctx.createOrg("calendar");
  });

  test("one UID for good; SEQUENCE goes up with every reschedule of the event or a session, and with cancelling", async () => {
    const marketer = org.tokens.marketer;
    const { id: eventId, slug } = await publishedEvent(ctx, org, {
      title: "Planning day",
      timeZone: "Europe/Oslo",
    });
    const submitted = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body: { firstName: "Siri", lastName: "Sequence", email: "siri@example.com" },
    });
    assert.equal(submitted.status, 202, submitted.text);
    const { registrationId, pageToken } = ctx.notices.last("registered");
    const calendar = async () => {
      const res = await ctx.request("GET", `/api/v1/public/registrations/${pageToken}/calendar.ics`, {
        headers: { host: "some-other-name.example:8080" },
      });
      assert.equal(res.status, 200, res.text);
      return props(res.text);
    };

    const first = await calendar();
    // The UID is the registration at the service's public host, however it was reached.
    assert.deepEqual(first("UID"), [`${registrationId}@localhost`]);
    assert.deepEqual(first("SEQUENCE"), ["0"]);
    assert.deepEqual(first("DTSTART;TZID=Europe/Oslo"), ["20300910T090000"]);
    assert.deepEqual(first("DTEND;TZID=Europe/Oslo"), ["20300910T170000"]);
    assert.deepEqual(first("TZID"), ["Europe/Oslo"]);

    const patch = (body: unknown) =>
      ctx.request("PATCH", `/api/v1/events/${eventId}`, { token: marketer, body });
    const sequence = async () => (await calendar())("SEQUENCE")[0];

    assert.equal((await patch({ title: "Planning day (new title)" })).status, 200);
    assert.equal(await sequence(), "0", "a new title is not a reschedule");

    assert.equal((await patch({ startsAt: "2030-09-11T10:00", endsAt: "2030-09-11T18:00" })).status, 200);
    const moved = await calendar();
    assert.deepEqual(moved("SEQUENCE"), ["1"]);
    assert.deepEqual(moved("DTSTART;TZID=Europe/Oslo"), ["20300911T100000"]);
    assert.deepEqual(moved("UID"), first("UID"), "the same UID, so the calendar updates its entry");

    const session = await ctx.request("POST", `/api/v1/events/${eventId}/sessions`, {
      token: marketer,
      body: { title: "Keynote", startsAt: "2030-09-11T10:00", endsAt: "2030-09-11T11:00" },
    });
    assert.equal(session.status, 201, session.text);
    assert.equal(await sequence(), "2", "a session added");
    const reschedule = await ctx.request("PATCH", `/api/v1/events/${eventId}/sessions/${session.body.id}`, {
      token: marketer,
      body: { startsAt: "2030-09-11T12:00", endsAt: "2030-09-11T13:00" },
    });
    assert.equal(reschedule.status, 200, reschedule.text);
    assert.equal(await sequence(), "3", "a session moved");
    const renamed = await ctx.request("PATCH", `/api/v1/events/${eventId}/sessions/${session.body.id}`, {
      token: marketer,
      body: { title: "Opening keynote" },
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(await sequence(), "3", "a session renamed is not a reschedule");

    assert.equal(
      (await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: marketer })).status,
      200,
    );
    const cancelled = await calendar();
    assert.deepEqual(cancelled("SEQUENCE"), ["4"]);
    assert.deepEqual(cancelled("STATUS"), ["CANCELLED"]);
  });

  test("a draft event with sessions can still be deleted (the session trigger tolerates its event going)", async () => {
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Draft",
        startsAt: "2030-10-01T09:00",
        endsAt: "2030-10-01T10:00",
        timeZone: "UTC",
        format: "onsite",
      },
    });
    await ctx.request("POST", `/api/v1/events/${created.body.id}/sessions`, {
      token: org.tokens.marketer,
      body: { title: "Only", startsAt: "2030-10-01T09:00", endsAt: "2030-10-01T10:00" },
    });
    const deleted = await ctx.request("DELETE", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
    });
    assert.equal(deleted.status, 204, deleted.text);
  });
});
