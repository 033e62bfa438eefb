import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { WEBHOOK_EVENT_TYPES } from "../../src/modules/webhooks-out/event-types.ts";
import { webhookIdOf } from "../../src/modules/webhooks-out/signing.ts";
import { registered } from "../helpers/events.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { quiesce } from "../providers/guarantees/setup.ts";
import { type Simulator, startSimulator, waitUntil, webinarSetup } from "../webinars/fixtures.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "3";
testEnv.AUDITORIUM_QUOTA_PAUSE_SECONDS = "1";
after(() => sim.close());

type Payload = { type: string; timestamp: string; data: Record<string, unknown> };

/**
 * Every event type comes from the real flow — the API, the public form with double opt-in, the
 * sync engine against the ON24 simulator, its attendance poll, an erasure — written in the
 * transaction of the change, and reaches a subscribed receiver signed. Registration events
 * carry a per-registration sequence in commit order.
 */
forEachBackend("outgoing webhook events from the real flow", (ctx, backend) => {
  let org: TestOrg;
  let eventId: string;
  let webinarId: string;
  let slug: string;
  let receiver: Receiver;
  let secret: string;
  let db: typeof ctx.database.db;

  before(async () => {
    db = ctx.database.db;
    await ctx.services.syncWorker.start();
    await ctx.services.webhookDelivery.start();
    org = await ctx.createOrg("webhooks-out events");
    receiver = await startReceiver();
    const ep = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: { url: receiver.url, eventTypes: [...WEBHOOK_EVENT_TYPES] },
    });
    assert.equal(ep.status, 201, ep.text);
    secret = ep.body.secret;
    ({ eventId } = await webinarSetup(ctx, org));
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);
    slug = published.body.slug;
    webinarId = (
      await waitUntil("webinar provisioned", async () =>
        db
          .selectFrom("webinars")
          .select(["id", "state"])
          .where("event_id", "=", eventId)
          .where("state", "=", "provisioned")
          .executeTakeFirst(),
      )
    ).id;
  });
  after(() => receiver.close());

  const messages = async (type: string, registrationId?: string) => {
    let q = db
      .selectFrom("webhook_messages")
      .selectAll()
      .where("organization_id", "=", org.id)
      .where("event_type", "=", type)
      .orderBy("id");
    if (registrationId) q = q.where("registration_id", "=", registrationId);
    return (await q.execute()).map((m) => ({ ...m, payload: m.payload as Payload }));
  };
  const one = (type: string, registrationId?: string) =>
    waitUntil(`${type} written`, async () => (await messages(type, registrationId))[0], 30_000);
  const register = (email: string) =>
    registered(ctx, org, eventId, { firstName: "Grace", lastName: "Hopper", email });

  test("webinar.provisioned, when the provider's webinar id is stored", async () => {
    const m = await one("webinar.provisioned");
    const w = await db
      .selectFrom("webinars")
      .selectAll()
      .where("id", "=", webinarId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(m.payload.data, {
      webinarId,
      eventId,
      sessionId: null,
      provider: "on24",
      providerWebinarId: w.provider_webinar_id,
    });
  });

  let grace: { id: string; contact: { id: string } };
  test("registration.created, then registration.synced through the simulator, then .cancelled — in sequence", async () => {
    grace = await register(`grace-${backend}@example.com`);
    const created = await one("registration.created", grace.id);
    assert.equal(created.payload.data.status, "registered");
    assert.equal(created.payload.data.source, "api");
    const synced = await one("registration.synced", grace.id);
    const sync = await db
      .selectFrom("registration_syncs")
      .selectAll()
      .where("registration_id", "=", grace.id)
      .executeTakeFirstOrThrow();
    assert.equal(sync.state, "synced");
    assert.equal(synced.payload.data.providerRegistrantId, sync.provider_registrant_id);
    assert.equal(synced.payload.data.webinarId, webinarId);
    const cancel = await ctx.request("POST", `/api/v1/registrations/${grace.id}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.equal(cancel.status, 200, cancel.text);
    const cancelled = await one("registration.cancelled", grace.id);
    assert.equal(cancelled.payload.data.previousStatus, "registered");
    assert.deepEqual(
      [created, synced, cancelled].map((m) => m.payload.data.sequence),
      [1, 2, 3],
      "a registration's messages are numbered in commit order",
    );
  });

  test("registration.confirmed: the double opt-in click", async () => {
    const on = await ctx.request("PATCH", "/api/v1/organization/registrant-settings", {
      token: org.tokens.admin,
      body: { doubleOptIn: true },
    });
    assert.equal(on.status, 200, on.text);
    const submitted = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body: { firstName: "Olga", lastName: "Opt", email: `olga-${backend}@example.com` },
      remoteAddress: "198.51.100.7",
    });
    assert.ok(submitted.status < 300, submitted.text);
    const asked = ctx.notices.last("confirmation_requested");
    const pending = await one("registration.created", asked.registrationId);
    assert.equal(pending.payload.data.status, "pending_confirmation");
    const clicked = await ctx.request("POST", "/api/v1/public/registrations/confirm", {
      body: { token: asked.confirmToken },
    });
    assert.equal(clicked.status, 200, clicked.text);
    const confirmed = await one("registration.confirmed", asked.registrationId);
    assert.equal(confirmed.payload.data.status, "registered");
    assert.equal(confirmed.payload.data.previousStatus, "pending_confirmation");
    assert.equal(confirmed.payload.data.sequence, 2);
    await ctx.request("PATCH", "/api/v1/organization/registrant-settings", {
      token: org.tokens.admin,
      body: { doubleOptIn: false },
    });
  });

  test("registration.sync_failed: the provider fails every attempt", async () => {
    // The earlier tests' provider work (the cancellation's, the confirmed registration's) must
    // be done first: failing too, it took the account's failures past the breaker's eight in a
    // row, and the next test's registration then waited out the open breaker (15 s, past its
    // 30 s wait on a loaded CI machine).
    await quiesce(ctx, org);
    sim.state.setKnobs({ errorRate: 1 });
    try {
      const failing = await register(`fails-${backend}@example.com`);
      const failed = await one("registration.sync_failed", failing.id);
      assert.equal(failed.payload.data.provider, "on24");
      assert.equal(failed.payload.data.attempts, 3);
      assert.ok(!JSON.stringify(failed.payload).includes("fails-"), "no address, no provider error text");
    } finally {
      sim.state.setKnobs({ errorRate: 0 });
    }
  });

  test("attendance.updated per changed registration, and webinar.ended once after the scheduled end", async () => {
    const attendee = await register(`attendee-${backend}@example.com`);
    await one("registration.synced", attendee.id);
    const w = await db
      .selectFrom("webinars")
      .selectAll()
      .where("id", "=", webinarId)
      .executeTakeFirstOrThrow();
    const ran = await fetch(`${sim.url}/_sim/events/${w.provider_webinar_id}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendanceRate: 1, walkIns: 0 }),
    });
    assert.equal(ran.status, 200, await ran.text());
    const poll = ctx.services.syncWorker.handlers["metrics.poll"];
    await poll({ webinarId });
    const updates = await messages("attendance.updated");
    const stored = await db
      .selectFrom("attendance")
      .selectAll()
      .where("webinar_id", "=", webinarId)
      .execute();
    assert.ok(stored.length > 0);
    assert.equal(updates.length, stored.length, "one message per registration with attendance");
    const mine = updates.find((u) => u.registration_id === attendee.id);
    const row = stored.find((a) => a.registration_id === attendee.id);
    assert.ok(mine && row);
    assert.equal(mine.payload.data.liveMinutes, row.live_minutes);
    assert.equal(mine.payload.data.onDemandMinutes, row.on_demand_minutes);
    assert.equal(
      mine.payload.data.engagementScore,
      row.engagement_score === null ? null : Number(row.engagement_score),
    );
    assert.equal(mine.payload.data.webinarId, webinarId);
    // A poll that changes nothing writes nothing; the scheduled end has not passed.
    await poll({ webinarId });
    assert.equal((await messages("attendance.updated")).length, updates.length);
    assert.equal((await messages("webinar.ended")).length, 0);
    // Time passes: the webinar's scheduled end is behind us.
    await db
      .updateTable("events")
      .set({ starts_at: new Date(Date.now() - 7200_000), ends_at: new Date(Date.now() - 3600_000) })
      .where("id", "=", eventId)
      .execute();
    await poll({ webinarId });
    await poll({ webinarId });
    const ended = await messages("webinar.ended");
    assert.equal(ended.length, 1, "webinar.ended is written once");
    assert.equal(ended[0]?.payload.data.webinarId, webinarId);
    assert.equal(ended[0]?.payload.data.liveAttendees, stored.filter((a) => a.live_minutes > 0).length);
  });

  test("erasure.completed, when a person is erased", async () => {
    const leaving = await register(`leaving-${backend}@example.com`);
    await one("registration.created", leaving.id);
    const erased = await ctx.request("DELETE", `/api/v1/contacts/${leaving.contact.id}`, {
      token: org.tokens.admin,
    });
    assert.ok(erased.status < 300, erased.text);
    const m = await one("erasure.completed");
    assert.equal(m.payload.data.registrationsErased, 1);
    assert.deepEqual(
      await messages("registration.created", leaving.id),
      [],
      "the person's messages are gone",
    );
  });

  test("every message reached the receiver, signed, under its own id", async () => {
    const all = await db
      .selectFrom("webhook_messages")
      .select("id")
      .where("organization_id", "=", org.id)
      .execute();
    const ids = new Set(all.map((m) => webhookIdOf(m.id)));
    await waitUntil(
      "all delivered",
      async () => [...ids].every((id) => receiver.accepted().some((r) => r.id === id)),
      30_000,
    );
    const wh = new Webhook(secret);
    const types = new Set<string>();
    for (const got of receiver.accepted().filter((r) => ids.has(r.id))) {
      const p = wh.verify(got.body, {
        "webhook-id": got.id,
        "webhook-timestamp": got.timestamp,
        "webhook-signature": got.signature,
      }) as Payload;
      types.add(p.type);
    }
    // The erased person's messages were deleted, but others of each type remain.
    for (const type of WEBHOOK_EVENT_TYPES) assert.ok(types.has(type), `${type} delivered`);
  });
});
