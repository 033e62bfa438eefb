import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

// Oslo moves to summer time on 2027-03-28: the event spans the change.
const event = {
  title: "Spring summit",
  startsAt: "2027-03-27T09:00",
  endsAt: "2027-03-29T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
};

forEachBackend("sessions and event status", (ctx) => {
  let org: TestOrg;
  let eventId: string;
  const url = () => `/api/v1/events/${eventId}/sessions`;

  before(async () => {
    org = await ctx.createOrg();
    const res = await ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body: event });
    assert.equal(res.status, 201, res.text);
    eventId = res.body.id;
  });

  test("session CRUD: create, get, list by start, patch, delete", async () => {
    const created = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Keynote", startsAt: "2027-03-27T10:00", endsAt: "2027-03-27T11:00" },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.eventId, eventId);
    assert.equal(created.body.description, "");
    const id = created.body.id;

    const early = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Breakfast", startsAt: "2027-03-27T08:00", endsAt: "2027-03-27T09:00" },
    });
    const list = await ctx.request("GET", url(), { token: org.tokens.viewer });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((s: { title: string }) => s.title),
      ["Breakfast", "Keynote"],
    );

    const got = await ctx.request("GET", `${url()}/${id}`, { token: org.tokens.viewer });
    assert.equal(got.status, 200);
    assert.equal(got.body.title, "Keynote");

    const patched = await ctx.request("PATCH", `${url()}/${id}`, {
      token: org.tokens.marketer,
      body: { description: "Opening words" },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.description, "Opening words");
    // A PATCH leaves the fields it does not name alone.
    assert.equal(patched.body.title, "Keynote");
    assert.equal(patched.body.startsAt, created.body.startsAt);

    assert.equal(
      (await ctx.request("POST", url(), { token: org.tokens.viewer, body: { title: "x" } })).status,
      403,
    );
    const del = await ctx.request("DELETE", `${url()}/${early.body.id}`, { token: org.tokens.marketer });
    assert.equal(del.status, 204);
    assert.equal(
      (await ctx.request("GET", `${url()}/${early.body.id}`, { token: org.tokens.viewer })).status,
      404,
    );
  });

  test("session times are read in the event's zone on both sides of the DST change", async () => {
    const before = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Saturday", startsAt: "2027-03-27T09:00", endsAt: "2027-03-27T10:00" },
    });
    const after = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Monday", startsAt: "2027-03-29T09:00", endsAt: "2027-03-29T10:00" },
    });
    assert.equal(before.body.startsAt, "2027-03-27T08:00:00.000Z");
    assert.equal(before.body.startsAtLocal, "2027-03-27T09:00:00+01:00");
    assert.equal(after.body.startsAt, "2027-03-29T07:00:00.000Z");
    assert.equal(after.body.startsAtLocal, "2027-03-29T09:00:00+02:00");
    const gap = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Gap", startsAt: "2027-03-28T02:30", endsAt: "2027-03-28T04:00" },
    });
    assert.equal(gap.status, 422);
    assert.equal(gap.body.error.field, "startsAt");
  });

  test("a session may have its own format; null inherits the event's", async () => {
    const own = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Stream", startsAt: "2027-03-27T13:00", endsAt: "2027-03-27T14:00", format: "webinar" },
    });
    assert.equal(own.body.format, "webinar");
    assert.equal(own.body.effectiveFormat, "webinar");
    const inherit = await ctx.request("PATCH", `${url()}/${own.body.id}`, {
      token: org.tokens.marketer,
      body: { format: null },
    });
    assert.equal(inherit.status, 200, inherit.text);
    assert.equal(inherit.body.format, null);
    assert.equal(inherit.body.effectiveFormat, "onsite");
  });

  test("endsAt before startsAt is 422 naming endsAt, on create and on patch", async () => {
    const bad = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Backwards", startsAt: "2027-03-27T12:00", endsAt: "2027-03-27T11:00" },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.field, "endsAt");
    const ok = await ctx.request("POST", url(), {
      token: org.tokens.marketer,
      body: { title: "Fine", startsAt: "2027-03-27T12:00", endsAt: "2027-03-27T13:00" },
    });
    const patch = await ctx.request("PATCH", `${url()}/${ok.body.id}`, {
      token: org.tokens.marketer,
      body: { endsAt: "2027-03-27T11:59" },
    });
    assert.equal(patch.status, 422);
    assert.equal(patch.body.error.field, "endsAt");
    const eventBad = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...event, endsAt: "2027-03-27T08:00" },
    });
    assert.equal(eventBad.status, 422);
    assert.equal(eventBad.body.error.field, "endsAt");
  });

  test("another organization's event and sessions are 404", async () => {
    const other = await ctx.createOrg("other");
    assert.equal((await ctx.request("GET", url(), { token: other.tokens.owner })).status, 404);
    const res = await ctx.request("POST", url(), {
      token: other.tokens.owner,
      body: { title: "Intruder", startsAt: "2027-03-27T10:00", endsAt: "2027-03-27T11:00" },
    });
    assert.equal(res.status, 404);
  });

  test("PATCH of an event changes only the fields it names", async () => {
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        ...event,
        description: "Long text",
        capacity: 40,
        consentText: "We store your name",
        registrationFields: { company: "required" },
        language: "nb",
      },
    });
    const patched = await ctx.request("PATCH", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
      body: { title: "Renamed" },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.title, "Renamed");
    assert.equal(patched.body.description, "Long text");
    assert.equal(patched.body.capacity, 40);
    assert.equal(patched.body.consentText, "We store your name");
    assert.deepEqual(patched.body.registrationFields, { company: "required" });
    assert.equal(patched.body.language, "nb");
    const zone = await ctx.request("PATCH", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
      body: { timeZone: "America/New_York" },
    });
    // Changing the zone keeps the instants; only the local rendering moves.
    assert.equal(zone.body.startsAt, created.body.startsAt);
    assert.equal(zone.body.startsAtLocal, "2027-03-27T04:00:00-04:00");
  });

  test("status: publish, unpublish, cancel; cancelled is final and read-only; only drafts are deleted", async () => {
    const created = await ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body: event });
    const id = created.body.id;
    const act = (a: string) =>
      ctx.request("POST", `/api/v1/events/${id}/${a}`, { token: org.tokens.marketer });

    const published = await act("publish");
    assert.equal(published.status, 200);
    assert.equal(published.body.status, "published");
    const noDelete = await ctx.request("DELETE", `/api/v1/events/${id}`, { token: org.tokens.marketer });
    assert.equal(noDelete.status, 409);
    assert.equal(noDelete.body.error.code, "not_draft");
    assert.equal((await act("unpublish")).body.status, "draft");
    assert.equal((await act("publish")).body.status, "published");
    const session = await ctx.request("POST", `/api/v1/events/${id}/sessions`, {
      token: org.tokens.marketer,
      body: { title: "Before cancel", startsAt: "2027-03-27T10:00", endsAt: "2027-03-27T11:00" },
    });
    assert.equal((await act("cancel")).body.status, "cancelled");

    for (const a of ["publish", "unpublish"]) {
      const res = await act(a);
      assert.equal(res.status, 409, a);
      assert.equal(res.body.error.code, "invalid_status_change");
    }
    const patch = await ctx.request("PATCH", `/api/v1/events/${id}`, {
      token: org.tokens.marketer,
      body: { title: "Too late" },
    });
    assert.equal(patch.status, 409);
    assert.equal(patch.body.error.code, "event_cancelled");
    // Its sessions are read-only too.
    const addSession = await ctx.request("POST", `/api/v1/events/${id}/sessions`, {
      token: org.tokens.marketer,
      body: { title: "After cancel", startsAt: "2027-03-27T12:00", endsAt: "2027-03-27T13:00" },
    });
    assert.equal(addSession.status, 409);
    const patchSession = await ctx.request("PATCH", `/api/v1/events/${id}/sessions/${session.body.id}`, {
      token: org.tokens.marketer,
      body: { title: "Renamed" },
    });
    assert.equal(patchSession.status, 409);
    assert.equal(
      (
        await ctx.request("DELETE", `/api/v1/events/${id}/sessions/${session.body.id}`, {
          token: org.tokens.marketer,
        })
      ).status,
      409,
    );
    assert.equal(
      (await ctx.request("DELETE", `/api/v1/events/${id}`, { token: org.tokens.marketer })).status,
      409,
    );
    const still = await ctx.request("GET", `/api/v1/events/${id}`, { token: org.tokens.viewer });
    assert.equal(still.body.title, event.title);
    assert.equal(still.body.status, "cancelled");

    const draft = await ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body: event });
    const del = await ctx.request("DELETE", `/api/v1/events/${draft.body.id}`, {
      token: org.tokens.marketer,
    });
    assert.equal(del.status, 204);
    assert.equal(
      (await ctx.request("GET", `/api/v1/events/${draft.body.id}`, { token: org.tokens.viewer })).status,
      404,
    );
  });

  test("slugs are unique: 409 naming slug on create and on patch", async () => {
    const first = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...event, slug: "spring-summit-2027" },
    });
    assert.equal(first.status, 201, first.text);
    // Slugs are global (public URLs), so another organization cannot take it either.
    const other = await ctx.createOrg("slugs");
    const dup = await ctx.request("POST", "/api/v1/events", {
      token: other.tokens.marketer,
      body: { ...event, slug: "spring-summit-2027" },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "slug_taken");
    assert.equal(dup.body.error.field, "slug");
    const second = await ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body: event });
    const patch = await ctx.request("PATCH", `/api/v1/events/${second.body.id}`, {
      token: org.tokens.marketer,
      body: { slug: "spring-summit-2027" },
    });
    assert.equal(patch.status, 409);
    assert.equal(patch.body.error.field, "slug");
    const badSlug = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: { ...event, slug: "Not A Slug" },
    });
    assert.equal(badSlug.status, 400);
    assert.equal(badSlug.body.error.field, "slug");
  });
});
