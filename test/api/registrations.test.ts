import assert from "node:assert/strict";
import { before, test } from "node:test";
import { draftEvent, registerViaApi } from "../helpers/events.ts";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

const event = {
  title: "Capacity conf",
  startsAt: "2030-06-01T09:00",
  endsAt: "2030-06-01T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
};

const person = (i: number | string) => ({
  firstName: `First${i}`,
  lastName: `Last${i}`,
  email: `person${i}@example.com`,
});

async function rows(ctx: TestContext, eventId: string) {
  return ctx.database.db
    .selectFrom("registrations")
    .select(["id", "status", "contact_id"])
    .where("event_id", "=", eventId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

forEachBackend("registrations", (ctx) => {
  let org: TestOrg;
  const createEvent = async (extra: Record<string, unknown> = {}) =>
    (await draftEvent(ctx, org, { ...event, ...extra })).id;
  const register = (eventId: string, body: unknown, headers?: Record<string, string>) =>
    registerViaApi(ctx, org, eventId, body, headers);

  before(async () => {
    org = await ctx.createOrg();
  });

  test("registers by contact details and by contactId; a second active registration is 409", async () => {
    const eventId = await createEvent();
    const byDetails = await register(eventId, { contact: person(1) });
    assert.equal(byDetails.status, 201, byDetails.text);
    assert.equal(byDetails.body.status, "registered");
    assert.equal(byDetails.body.source, "api");
    assert.equal(byDetails.body.contact.email, "person1@example.com");

    const contact = await ctx.request("POST", "/api/v1/contacts", {
      token: org.tokens.marketer,
      body: person(2),
    });
    const byId = await register(eventId, { contactId: contact.body.id });
    assert.equal(byId.status, 201, byId.text);
    assert.equal(byId.body.contact.id, contact.body.id);

    const again = await register(eventId, { contact: { ...person(1), email: "PERSON1@example.com" } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "already_registered");
    const againById = await register(eventId, { contactId: contact.body.id });
    assert.equal(againById.status, 409);
    assert.equal(againById.body.error.field, "contactId");

    const unknown = await register(eventId, { contactId: "0190a000-0000-7000-8000-000000000000" });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.field, "contactId");
    const neither = await register(eventId, {});
    assert.equal(neither.status, 400);
    assert.equal(neither.body.error.field, "contact");
    const both = await register(eventId, { contactId: contact.body.id, contact: person(3) });
    assert.equal(both.status, 400);
    assert.equal((await rows(ctx, eventId)).length, 2);

    // After a cancellation the person may register again.
    await ctx.request("POST", `/api/v1/registrations/${byId.body.id}/cancel`, { token: org.tokens.marketer });
    const anew = await register(eventId, { contactId: contact.body.id });
    assert.equal(anew.status, 201, anew.text);

    const read = await ctx.request("GET", `/api/v1/registrations/${byDetails.body.id}`, {
      token: org.tokens.viewer,
    });
    assert.equal(read.status, 200);
    assert.equal(read.body.id, byDetails.body.id);
    const other = await ctx.createOrg("other");
    assert.equal(
      (await ctx.request("GET", `/api/v1/registrations/${byDetails.body.id}`, { token: other.tokens.owner }))
        .status,
      404,
    );
    assert.equal(
      (
        await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
          token: other.tokens.owner,
          body: { contact: person(9) },
        })
      ).status,
      404,
    );
  });

  test("beyond capacity people are waitlisted; a cancellation promotes exactly the oldest", async () => {
    const eventId = await createEvent({ capacity: 2 });
    const regs = [];
    for (let i = 0; i < 5; i++) regs.push(await register(eventId, { contact: person(`cap${i}`) }));
    assert.deepEqual(
      regs.map((r) => r.body.status),
      ["registered", "registered", "waitlisted", "waitlisted", "waitlisted"],
    );
    const cancelled = await ctx.request("POST", `/api/v1/registrations/${regs[0]?.body.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, "cancelled");
    assert.ok(cancelled.body.cancelledAt);
    const after = await rows(ctx, eventId);
    assert.deepEqual(
      after.map((r) => r.status),
      ["cancelled", "registered", "registered", "waitlisted", "waitlisted"],
    );
    // Cancelling a waitlisted one promotes nobody.
    await ctx.request("POST", `/api/v1/registrations/${regs[4]?.body.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal((await rows(ctx, eventId)).filter((r) => r.status === "registered").length, 2);
    // Cancelling twice is harmless and promotes nobody either.
    await ctx.request("POST", `/api/v1/registrations/${regs[0]?.body.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal((await rows(ctx, eventId)).filter((r) => r.status === "registered").length, 2);
  });

  test("raising the capacity promotes as many waitlisted as fit, oldest first; other edits promote none", async () => {
    const eventId = await createEvent({ capacity: 1 });
    for (let i = 0; i < 4; i++) await register(eventId, { contact: person(`raise${i}`) });
    const rename = await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
      token: org.tokens.marketer,
      body: { title: "Renamed" },
    });
    assert.equal(rename.body.capacity, 1);
    assert.deepEqual(
      (await rows(ctx, eventId)).map((r) => r.status),
      ["registered", "waitlisted", "waitlisted", "waitlisted"],
    );
    const raised = await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
      token: org.tokens.marketer,
      body: { capacity: 3 },
    });
    assert.equal(raised.status, 200, raised.text);
    assert.deepEqual(
      (await rows(ctx, eventId)).map((r) => r.status),
      ["registered", "registered", "registered", "waitlisted"],
    );
    await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
      token: org.tokens.marketer,
      body: { capacity: null },
    });
    assert.deepEqual(
      (await rows(ctx, eventId)).map((r) => r.status),
      ["registered", "registered", "registered", "registered"],
    );
  });

  test("20 parallel registrations for 5 places: exactly 5 registered, 15 waitlisted", async () => {
    const eventId = await createEvent({ capacity: 5 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => register(eventId, { contact: person(`par${i}`) })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(201),
      results.map((r) => r.text).join("\n"),
    );
    const statuses = (await rows(ctx, eventId)).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === "registered").length, 5);
    assert.equal(statuses.filter((s) => s === "waitlisted").length, 15);
    assert.equal(results.filter((r) => r.body.status === "registered").length, 5);
  });

  test("Idempotency-Key: a retry replays the first answer; a different body is 422", async () => {
    const eventId = await createEvent();
    const body = { contact: person("idem") };
    const headers = { "idempotency-key": "key-1" };
    const first = await register(eventId, body, headers);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers["idempotent-replayed"], undefined);
    // Same body with keys in another order is the same request.
    const reordered = {
      contact: {
        email: body.contact.email,
        lastName: body.contact.lastName,
        firstName: body.contact.firstName,
      },
    };
    const replay = await register(eventId, reordered, headers);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers["idempotent-replayed"], "true");
    assert.equal(replay.body.id, first.body.id);
    assert.deepEqual(replay.body, first.body);
    assert.equal((await rows(ctx, eventId)).length, 1);

    const changed = await register(eventId, { contact: person("other") }, headers);
    assert.equal(changed.status, 422);
    assert.equal(changed.body.error.code, "idempotency_key_reused");
    assert.equal((await rows(ctx, eventId)).length, 1);

    // A failed attempt stores nothing: its retry runs afresh.
    const failing = await register(eventId, { contact: person("idem") }, { "idempotency-key": "key-2" });
    assert.equal(failing.status, 409);
    await ctx.request("POST", `/api/v1/registrations/${first.body.id}/cancel`, {
      token: org.tokens.marketer,
    });
    const retried = await register(eventId, { contact: person("idem") }, { "idempotency-key": "key-2" });
    assert.equal(retried.status, 201, retried.text);
    assert.equal(retried.headers["idempotent-replayed"], undefined);

    const badKey = await register(eventId, { contact: person("k") }, { "idempotency-key": "has space" });
    assert.equal(badKey.status, 400);
    assert.equal(badKey.body.error.field, "idempotency-key");
  });

  test("10 parallel identical requests with one key make one registration", async () => {
    const eventId = await createEvent({ capacity: 3 });
    const body = { contact: person("burst") };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => register(eventId, body, { "idempotency-key": "burst-key" })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(10).fill(201),
      results.map((r) => r.text).join("\n"),
    );
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal(results.filter((r) => r.headers["idempotent-replayed"] === "true").length, 9);
    assert.equal((await rows(ctx, eventId)).length, 1);
  });

  test("session ids must belong to the event", async () => {
    const eventId = await createEvent();
    const otherEventId = await createEvent();
    const mk = (id: string) =>
      ctx.request("POST", `/api/v1/events/${id}/sessions`, {
        token: org.tokens.marketer,
        body: { title: "S", startsAt: "2030-06-01T10:00", endsAt: "2030-06-01T11:00" },
      });
    const own = (await mk(eventId)).body.id;
    const foreign = (await mk(otherEventId)).body.id;
    const bad = await register(eventId, { contact: person("s1"), sessionIds: [own, foreign] });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.field, "sessionIds");
    assert.equal((await rows(ctx, eventId)).length, 0);
    const ok = await register(eventId, { contact: person("s1"), sessionIds: [own, own] });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.sessionIds, [own]);
    const notUuid = await register(eventId, { contact: person("s2"), sessionIds: ["nope"] });
    assert.equal(notUuid.status, 400);
    assert.equal(notUuid.body.error.field, "sessionIds.0");
  });

  test("lists with a status filter, q search and a cursor", async () => {
    const eventId = await createEvent({ capacity: 3 });
    const names = ["Alice Able", "Bob Baker", "Carol Cook", "Dan Drake", "Eve Early"];
    for (const [i, full] of names.entries()) {
      const [firstName, lastName] = full.split(" ");
      await register(eventId, { contact: { firstName, lastName, email: `list${i}@example.com` } });
    }
    const list = (query: string) =>
      ctx.request("GET", `/api/v1/events/${eventId}/registrations?${query}`, { token: org.tokens.viewer });
    const waitlisted = await list("status=waitlisted");
    assert.deepEqual(
      waitlisted.body.data.map((r: { contact: { lastName: string } }) => r.contact.lastName),
      ["Drake", "Early"],
    );
    const q = await list("q=CAROL%20C");
    assert.deepEqual(
      q.body.data.map((r: { contact: { lastName: string } }) => r.contact.lastName),
      ["Cook"],
    );
    const byEmail = await list("q=LIST4@");
    assert.equal(byEmail.body.data.length, 1);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(res.status, 200, res.text);
      seen.push(...res.body.data.map((r: { contact: { lastName: string } }) => r.contact.lastName));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ["Able", "Baker", "Cook", "Drake", "Early"]);
    assert.equal((await list("status=maybe")).status, 400);
  });

  test("a cancelled event refuses registrations with 409", async () => {
    const eventId = await createEvent();
    await ctx.request("POST", `/api/v1/events/${eventId}/cancel`, { token: org.tokens.marketer });
    const res = await register(eventId, { contact: person("late") });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, "event_cancelled");
    assert.equal((await rows(ctx, eventId)).length, 0);
  });
});
