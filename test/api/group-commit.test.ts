import assert from "node:assert/strict";
import { before, test } from "node:test";
import { sql } from "kysely";
import { draftEvent, registerViaApi } from "../helpers/events.ts";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

/**
 * Group commit (src/modules/registrations/intake-batch.ts): API registrations for one event
 * that arrive together share one transaction. Each test checks that batches really formed
 * (rows written by one transaction share its `xmin`), then that the books stay exact.
 */
const person = (tag: string) => ({ firstName: `F${tag}`, lastName: `L${tag}`, email: `${tag}@example.com` });

async function stored(ctx: TestContext, eventId: string) {
  return ctx.database.db
    .selectFrom("registrations as r")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .select(["r.id", "r.status", "c.email", sql<string>`r.xmin::text`.as("xmin")])
    .where("r.event_id", "=", eventId)
    .orderBy("r.created_at")
    .orderBy("r.id")
    .execute();
}

/** The most registrations one transaction wrote. */
const largestBatch = (rows: { xmin: string }[]) => {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.xmin, (counts.get(r.xmin) ?? 0) + 1);
  return Math.max(0, ...counts.values());
};

forEachBackend("registration group commit", (ctx) => {
  let org: TestOrg;
  const createEvent = async (extra: Record<string, unknown> = {}) => (await draftEvent(ctx, org, extra)).id;
  const register = (eventId: string, body: unknown, headers?: Record<string, string>) =>
    registerViaApi(ctx, org, eventId, body, headers);

  before(async () => {
    org = await ctx.createOrg("group commit");
  });

  test("60 at once for 7 places: exactly 7 registered, the rest waitlisted after them, answers match the rows", async () => {
    const eventId = await createEvent({ capacity: 7 });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => register(eventId, { contact: person(`cap${i}`) })),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(60).fill(201),
      answers.map((a) => a.text).join("\n"),
    );
    const rows = await stored(ctx, eventId);
    assert.ok(largestBatch(rows) > 1, `no batch formed: ${JSON.stringify(rows.map((r) => r.xmin))}`);
    assert.equal(rows.length, 60);
    assert.equal(rows.filter((r) => r.status === "registered").length, 7);
    // In waitlist order (created_at, id) every place comes before every waitlist spot.
    assert.deepEqual(
      rows.map((r) => r.status),
      [...Array(7).fill("registered"), ...Array(53).fill("waitlisted")],
    );
    const answered = new Map(answers.map((a) => [a.body.id as string, a.body.status as string]));
    for (const r of rows) assert.equal(answered.get(r.id), r.status, r.email);

    // A freed place goes to the oldest waitlisted, exactly as without batching.
    const oldestWaiting = rows[7] as (typeof rows)[number];
    const cancelled = await ctx.request("POST", `/api/v1/registrations/${rows[0]?.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal(cancelled.status, 200, cancelled.text);
    const after = await stored(ctx, eventId);
    assert.equal(after.find((r) => r.id === oldestWaiting.id)?.status, "registered");
    assert.equal(after.filter((r) => r.status === "registered").length, 7);
  });

  test("one Idempotency-Key sent 12 times at once among 20 others: one registration, identical answers", async () => {
    const eventId = await createEvent({ capacity: 5 });
    const body = { contact: person("idem-burst") };
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, () => register(eventId, body, { "idempotency-key": "same-key" })),
      ...Array.from({ length: 20 }, (_, i) =>
        register(eventId, { contact: person(`idem-other${i}`) }, { "idempotency-key": `other-${i}` }),
      ),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(32).fill(201),
      answers.map((a) => a.text).join("\n"),
    );
    const same = answers.slice(0, 12);
    assert.equal(new Set(same.map((a) => a.text)).size, 1, "every answer to the key is the same");
    assert.equal(same.filter((a) => a.headers["idempotent-replayed"] === "true").length, 11);
    const rows = await stored(ctx, eventId);
    assert.ok(largestBatch(rows) > 1, "no batch formed");
    assert.equal(rows.filter((r) => r.email === "idem-burst@example.com").length, 1);
    assert.equal(rows.length, 21);
    assert.equal(rows.filter((r) => r.status === "registered").length, 5);

    // Replayed later, the key still gives the same answer; another body under it is refused.
    const replay = await register(eventId, body, { "idempotency-key": "same-key" });
    assert.equal(replay.text, same[0]?.text);
    const reused = await register(eventId, { contact: person("x") }, { "idempotency-key": "same-key" });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, "idempotency_key_reused");
  });

  test("bad ones among good ones fail alone, with their own answers, and write nothing", async () => {
    const eventId = await createEvent();
    const session = await ctx.request("POST", `/api/v1/events/${eventId}/sessions`, {
      token: org.tokens.marketer,
      body: { title: "Track A", startsAt: "2030-09-10T10:00", endsAt: "2030-09-10T11:00" },
    });
    assert.equal(session.status, 201, session.text);
    const sessionId = session.body.id as string;
    const early = await register(eventId, { contact: person("bad-known") });
    assert.equal(early.status, 201, early.text);

    const good = Array.from({ length: 15 }, (_, i) => ({
      contact: person(`bad-good${i}`),
      ...(i % 2 === 0 && { sessionIds: [sessionId] }),
    }));
    const answers = await Promise.all([
      ...good.slice(0, 5).map((b) => register(eventId, b)),
      // A session of no event of ours.
      register(eventId, {
        contact: person("bad-session"),
        sessionIds: ["0190f000-0000-7000-8000-000000000000"],
      }),
      ...good.slice(5, 10).map((b) => register(eventId, b)),
      // Already registered (before this batch), and twice within it.
      register(eventId, { contact: person("bad-known") }),
      register(eventId, { contact: person("bad-twice") }),
      register(eventId, { contact: { ...person("bad-twice"), email: "BAD-twice@example.com" } }),
      // An Idempotency-Key reused with another body in the same burst.
      register(eventId, { contact: person("bad-key-a") }, { "idempotency-key": "bad-key" }),
      register(eventId, { contact: person("bad-key-b") }, { "idempotency-key": "bad-key" }),
      ...good.slice(10).map((b) => register(eventId, b)),
    ]);
    const [first5, [unknownSession], second5, [known, twiceA, twiceB, keyA, keyB], last5] = [
      answers.slice(0, 5),
      answers.slice(5, 6),
      answers.slice(6, 11),
      answers.slice(11, 16),
      answers.slice(16),
    ];
    for (const a of [...first5, ...second5, ...last5]) assert.equal(a.status, 201, a.text);
    assert.equal(unknownSession?.status, 422, unknownSession?.text);
    assert.equal(unknownSession?.body.error.code, "unknown_session");
    assert.equal(known?.status, 409, known?.text);
    assert.equal(known?.body.error.code, "already_registered");
    assert.deepEqual([twiceA?.status, twiceB?.status].sort(), [201, 409]);
    assert.deepEqual([keyA?.status, keyB?.status].sort(), [201, 422]);

    const rows = await stored(ctx, eventId);
    assert.ok(largestBatch(rows) > 1, "no batch formed");
    const emails = rows.map((r) => r.email).sort();
    const keyWinner = keyA?.status === 201 ? "bad-key-a@example.com" : "bad-key-b@example.com";
    // The two spellings of one address race; the contact keeps the spelling that won.
    const twiceWinner = twiceA?.status === 201 ? "bad-twice@example.com" : "BAD-twice@example.com";
    assert.deepEqual(
      emails,
      ["bad-known@example.com", twiceWinner, keyWinner, ...good.map((g) => g.contact.email)].sort(),
    );
    const withSession = await ctx.database.db
      .selectFrom("registration_sessions")
      .select("registration_id")
      .where("session_id", "=", sessionId)
      .execute();
    assert.equal(withSession.length, 8);
  });

  test("a row the database refuses fails alone: the batch reruns each request by itself", async () => {
    const eventId = await createEvent();
    // A real refusal by the database, for one row only (as a constraint or a trigger would).
    await sql`create or replace function refuse_marked() returns trigger language plpgsql as $$
      begin
        if new.consent_text = 'refuse me' then raise exception 'refused by the test trigger'; end if;
        return new;
      end $$`.execute(ctx.database.db);
    await sql`create trigger refuse_marked before insert on registrations for each row execute function refuse_marked()`.execute(
      ctx.database.db,
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          register(eventId, {
            contact: person(`db-refuse${i}`),
            ...(i === 6 && { consentText: "refuse me" }),
          }),
        ),
      );
      assert.equal(answers[6]?.status, 500, answers[6]?.text);
      for (const [i, a] of answers.entries()) if (i !== 6) assert.equal(a.status, 201, a.text);
      const rows = await stored(ctx, eventId);
      assert.equal(rows.length, 11);
      assert.ok(!rows.some((r) => r.email === "db-refuse6@example.com"));
      const answeredIds = answers.filter((a) => a.status === 201).map((a) => a.body.id as string);
      assert.deepEqual(rows.map((r) => r.id).sort(), answeredIds.sort());
    } finally {
      await sql`drop trigger refuse_marked on registrations`.execute(ctx.database.db);
      await sql`drop function refuse_marked()`.execute(ctx.database.db);
    }
  });
});
