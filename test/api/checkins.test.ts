import assert from "node:assert/strict";
import { before, test } from "node:test";
import { draftEvent, registered } from "../helpers/events.ts";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

const eventBody = {
  title: "Summit",
  startsAt: "2026-06-10T09:00",
  endsAt: "2026-06-10T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
};

async function makeEvent(ctx: TestContext, org: TestOrg, extra: Record<string, unknown> = {}) {
  return (await draftEvent(ctx, org, { ...eventBody, ...extra })).id;
}

async function makeSession(ctx: TestContext, org: TestOrg, eventId: string, title: string) {
  const res = await ctx.request("POST", `/api/v1/events/${eventId}/sessions`, {
    token: org.tokens.marketer,
    body: { title, startsAt: "2026-06-10T10:00", endsAt: "2026-06-10T11:00" },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

let seq = 0;
async function register(
  ctx: TestContext,
  org: TestOrg,
  eventId: string,
  extra: { sessionIds?: string[]; lastName?: string } = {},
) {
  seq++;
  const person = {
    firstName: "Ada",
    lastName: extra.lastName ?? `Person${seq}`,
    email: `p${seq}@example.com`,
  };
  return registered(ctx, org, eventId, person, extra.sessionIds ?? []);
}

forEachBackend("check-ins", (ctx) => {
  let org: TestOrg;
  let other: TestOrg;
  let eventId: string;
  before(async () => {
    org = await ctx.createOrg("check-ins");
    other = await ctx.createOrg("other");
    eventId = await makeEvent(ctx, org);
  });

  const checkIn = (body: Record<string, unknown>, token = org.tokens.marketer, event = eventId) =>
    ctx.request("POST", `/api/v1/events/${event}/check-ins`, { token, body });

  test("checks a registered person in, with the given scan time, and lists it with the name", async () => {
    const reg = await register(ctx, org, eventId, { lastName: "Lovelace" });
    const res = await checkIn({ registrationId: reg.id, checkedInAt: "2026-06-10T09:05:00+02:00" });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.registrationId, reg.id);
    assert.equal(res.body.sessionId, null);
    assert.equal(res.body.kind, "onsite");
    assert.equal(res.body.checkedInAt, "2026-06-10T07:05:00.000Z");
    assert.equal(res.body.contact.lastName, "Lovelace");

    const list = await ctx.request("GET", `/api/v1/events/${eventId}/check-ins`, {
      token: org.tokens.viewer,
    });
    assert.equal(list.status, 200, list.text);
    const found = list.body.data.find((c: { id: string }) => c.id === res.body.id);
    assert.ok(found, "the check-in is listed");
    assert.equal(found.contact.firstName, "Ada");
    assert.equal(found.contact.lastName, "Lovelace");
  });

  test("a repeated scan answers 200 with the first check-in and adds nothing", async () => {
    const reg = await register(ctx, org, eventId);
    const first = await checkIn({ registrationId: reg.id, checkedInAt: "2026-06-10T09:00:00Z" });
    assert.equal(first.status, 201);
    const again = await checkIn({ registrationId: reg.id });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.checkedInAt, "2026-06-10T09:00:00.000Z", "the first scan's time is kept");
    const list = await ctx.request("GET", `/api/v1/events/${eventId}/check-ins?limit=500`, {
      token: org.tokens.viewer,
    });
    assert.equal(
      list.body.data.filter((c: { registrationId: string }) => c.registrationId === reg.id).length,
      1,
    );
  });

  test("concurrent scans of the same badge produce one check-in", async () => {
    const reg = await register(ctx, org, eventId);
    const results = await Promise.all([1, 2, 3, 4].map(() => checkIn({ registrationId: reg.id })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 201]);
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
  });

  test("session check-ins: per session, only chosen sessions, and only this event's sessions", async () => {
    const ev = await makeEvent(ctx, org);
    const s1 = await makeSession(ctx, org, ev, "Keynote");
    const s2 = await makeSession(ctx, org, ev, "Workshop");
    const chooser = await register(ctx, org, ev, { sessionIds: [s1] });
    const whole = await register(ctx, org, ev);

    const toEvent = await checkIn({ registrationId: chooser.id }, org.tokens.marketer, ev);
    const toS1 = await checkIn({ registrationId: chooser.id, sessionId: s1 }, org.tokens.marketer, ev);
    assert.equal(toEvent.status, 201);
    assert.equal(toS1.status, 201, "a session check-in is separate from the event check-in");
    assert.notEqual(toS1.body.id, toEvent.body.id);
    assert.equal(toS1.body.sessionId, s1);

    const wrongRoom = await checkIn({ registrationId: chooser.id, sessionId: s2 }, org.tokens.marketer, ev);
    assert.equal(wrongRoom.status, 409, wrongRoom.text);
    assert.equal(wrongRoom.body.error.code, "session_not_chosen");

    const anyRoom = await checkIn({ registrationId: whole.id, sessionId: s2 }, org.tokens.marketer, ev);
    assert.equal(anyRoom.status, 201, "no sessions chosen means a pass to all of them");

    const otherEventSession = await makeSession(ctx, org, eventId, "Elsewhere");
    const foreign = await checkIn(
      { registrationId: whole.id, sessionId: otherEventSession },
      org.tokens.marketer,
      ev,
    );
    assert.equal(foreign.status, 422);
    assert.equal(foreign.body.error.field, "sessionId");

    const bySession = await ctx.request("GET", `/api/v1/events/${ev}/check-ins?sessionId=${s1}`, {
      token: org.tokens.viewer,
    });
    assert.deepEqual(
      bySession.body.data.map((c: { id: string }) => c.id),
      [toS1.body.id],
    );
  });

  test("cancelled and waitlisted registrations are refused with 409 and a clear code", async () => {
    const cancelled = await register(ctx, org, eventId);
    const cancel = await ctx.request("POST", `/api/v1/registrations/${cancelled.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal(cancel.status, 200, cancel.text);
    const res = await checkIn({ registrationId: cancelled.id });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, "registration_cancelled");

    const full = await makeEvent(ctx, org, { capacity: 1 });
    await register(ctx, org, full);
    const waiting = await register(ctx, org, full);
    assert.equal(waiting.status, "waitlisted");
    const w = await checkIn({ registrationId: waiting.id }, org.tokens.marketer, full);
    assert.equal(w.status, 409);
    assert.equal(w.body.error.code, "registration_waitlisted");
  });

  test("unknown registrations are 422 naming registrationId, another event's included", async () => {
    const unknown = await checkIn({ registrationId: "018f0000-0000-7000-8000-000000000000" });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.field, "registrationId");
    const otherEvent = await makeEvent(ctx, org);
    const reg = await register(ctx, org, otherEvent);
    const misplaced = await checkIn({ registrationId: reg.id });
    assert.equal(misplaced.status, 422);
    assert.equal(misplaced.body.error.code, "unknown_registration");
  });

  test("another organization's event is 404 and its registration reads as unknown", async () => {
    const theirEvent = await makeEvent(ctx, other);
    const theirReg = await register(ctx, other, theirEvent);
    const mine = await register(ctx, org, eventId);
    const viaTheirEvent = await checkIn({ registrationId: mine.id }, org.tokens.marketer, theirEvent);
    assert.equal(viaTheirEvent.status, 404);
    const listTheirs = await ctx.request("GET", `/api/v1/events/${theirEvent}/check-ins`, {
      token: org.tokens.viewer,
    });
    assert.equal(listTheirs.status, 404);
    const theirRegHere = await checkIn({ registrationId: theirReg.id });
    assert.equal(theirRegHere.status, 422);
    assert.equal(theirRegHere.body.error.field, "registrationId");

    const theirCheckIn = await checkIn({ registrationId: theirReg.id }, other.tokens.marketer, theirEvent);
    assert.equal(theirCheckIn.status, 201);
    const del = await ctx.request("DELETE", `/api/v1/check-ins/${theirCheckIn.body.id}`, {
      token: org.tokens.owner,
    });
    assert.equal(del.status, 404);
  });

  test("viewers cannot check in or undo; bad input is 400/422 naming the field", async () => {
    const reg = await register(ctx, org, eventId);
    const viewer = await checkIn({ registrationId: reg.id }, org.tokens.viewer);
    assert.equal(viewer.status, 403);
    const extra = await checkIn({ registrationId: reg.id, badge: "x" });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.field, "badge");
    const noOffset = await checkIn({ registrationId: reg.id, checkedInAt: "2026-06-10T09:00" });
    assert.equal(noOffset.status, 400);
    assert.equal(noOffset.body.error.field, "checkedInAt");
    const future = await checkIn({ registrationId: reg.id, checkedInAt: "2099-01-01T00:00:00Z" });
    assert.equal(future.status, 422);
    assert.equal(future.body.error.field, "checkedInAt");

    const ok = await checkIn({ registrationId: reg.id });
    assert.equal(ok.status, 201);
    const viewerDelete = await ctx.request("DELETE", `/api/v1/check-ins/${ok.body.id}`, {
      token: org.tokens.viewer,
    });
    assert.equal(viewerDelete.status, 403);
  });

  test("undoing a check-in removes it, and the person can be checked in again", async () => {
    const reg = await register(ctx, org, eventId);
    const first = await checkIn({ registrationId: reg.id });
    const del = await ctx.request("DELETE", `/api/v1/check-ins/${first.body.id}`, {
      token: org.tokens.marketer,
    });
    assert.equal(del.status, 204, del.text);
    const again = await ctx.request("DELETE", `/api/v1/check-ins/${first.body.id}`, {
      token: org.tokens.marketer,
    });
    assert.equal(again.status, 404);
    const redo = await checkIn({ registrationId: reg.id });
    assert.equal(redo.status, 201);
    assert.notEqual(redo.body.id, first.body.id);
  });

  test("lists with a cursor, newest first, without repeats", async () => {
    const ev = await makeEvent(ctx, org);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const reg = await register(ctx, org, ev);
      ids.push((await checkIn({ registrationId: reg.id }, org.tokens.marketer, ev)).body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/events/${ev}/check-ins?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await ctx.request("GET", url, { token: org.tokens.viewer });
      assert.equal(res.status, 200, res.text);
      seen.push(...res.body.data.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
  });
});

forEachBackend("check-in counts", (ctx) => {
  test("count the door's check-ins and the registered exactly: not session check-ins, not repeats, not cancellations; another organization's event is 404", async () => {
    const org = await ctx.createOrg("counts");
    const other = await ctx.createOrg("counts-other");
    const ev = await makeEvent(ctx, org);
    const sessionId = await makeSession(ctx, org, ev, "Room A");
    const counts = async () => {
      const res = await ctx.request("GET", `/api/v1/events/${ev}/check-ins/counts`, {
        token: org.tokens.viewer,
      });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    assert.deepEqual(await counts(), { checkedIn: 0, registered: 0 });
    const regs = [];
    for (let i = 0; i < 4; i++) regs.push(await register(ctx, org, ev));
    const post = (body: Record<string, unknown>) =>
      ctx.request("POST", `/api/v1/events/${ev}/check-ins`, { token: org.tokens.marketer, body });
    for (const reg of regs.slice(0, 3)) assert.equal((await post({ registrationId: reg.id })).status, 201);
    // A repeat scan and a session check-in are no new people at the door.
    assert.equal((await post({ registrationId: regs[0]?.id })).status, 200);
    assert.equal((await post({ registrationId: regs[3]?.id, sessionId })).status, 201);
    assert.deepEqual(await counts(), { checkedIn: 3, registered: 4 });

    const cancelled = await ctx.request("POST", `/api/v1/registrations/${regs[3]?.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.ok(cancelled.status < 300, cancelled.text);
    assert.deepEqual(await counts(), { checkedIn: 3, registered: 3 });

    const foreign = await ctx.request("GET", `/api/v1/events/${ev}/check-ins/counts`, {
      token: other.tokens.viewer,
    });
    assert.equal(foreign.status, 404, foreign.text);
  });
});

forEachBackend("check-ins of given registrations", (ctx) => {
  test("registrationIds lists only their check-ins, however old; a bad id is a 400 naming the field", async () => {
    const org = await ctx.createOrg("by-registration");
    const ev = await makeEvent(ctx, org);
    const regs = [];
    for (let i = 0; i < 4; i++) regs.push(await register(ctx, org, ev));
    for (const reg of regs) {
      const res = await ctx.request("POST", `/api/v1/events/${ev}/check-ins`, {
        token: org.tokens.marketer,
        body: { registrationId: reg.id },
      });
      assert.equal(res.status, 201, res.text);
    }
    // The oldest and one other on a page of two: unfiltered, that page would hold the two newest.
    const wanted = [regs[0]?.id, regs[2]?.id].join(",");
    const res = await ctx.request("GET", `/api/v1/events/${ev}/check-ins?limit=2&registrationIds=${wanted}`, {
      token: org.tokens.viewer,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((c: { registrationId: string }) => c.registrationId),
      [regs[2]?.id, regs[0]?.id],
    );
    const bad = await ctx.request(
      "GET",
      `/api/v1/events/${ev}/check-ins?registrationIds=${regs[0]?.id},nope`,
      {
        token: org.tokens.viewer,
      },
    );
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.body.error.field, /^registrationIds/);
  });
});
