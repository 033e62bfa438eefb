import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { uuidv7 } from "../../src/lib/ids.ts";
import { createGuardedFetch, NOTHING_ALLOWED } from "../../src/lib/outbound-guard.ts";
import { createWebhookDelivery } from "../../src/modules/webhooks-out/delivery.ts";
import { createSecretStore } from "../../src/modules/webhooks-out/secrets.ts";
import { webhookIdOf } from "../../src/modules/webhooks-out/signing.ts";
import { registered } from "../helpers/events.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { waitUntil } from "../webinars/fixtures.ts";
import { type Behaviour, type Receiver, startReceiver } from "./receiver.ts";

// Fast retries and a short attempt deadline, so failures play out in seconds.
testEnv.AUDITORIUM_WEBHOOK_RETRY_BASE_SECONDS = "0.05";
testEnv.AUDITORIUM_WEBHOOK_TIMEOUT_SECONDS = "1";
testEnv.AUDITORIUM_WEBHOOK_DISABLE_AFTER_HOURS = String(8 / 3600);

/**
 * Delivery by the real worker to receivers on loopback: signatures checked with the
 * reference `standardwebhooks` library (also during a rotation's overlap), retries with the
 * same id, every attempt logged, disabling after persistent failure, replay, no redirect
 * followed, the SSRF guard at connect time, and erasure deleting the person's messages.
 */
forEachBackend("outgoing webhook delivery", (ctx) => {
  let org: TestOrg;
  let eventId: string;
  const receivers: Receiver[] = [];
  before(async () => {
    org = await ctx.createOrg("webhooks-out delivery");
    await ctx.services.webhookDelivery.start();
    const event = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Conference",
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 90_000_000).toISOString(),
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    assert.equal(event.status, 201, event.text);
    eventId = event.body.id;
  });
  after(async () => {
    for (const r of receivers) await r.close();
  });

  const receiver = async (behave?: (n: number) => Behaviour) => {
    const r = await startReceiver(behave);
    receivers.push(r);
    return r;
  };
  const endpoint = async (url: string, eventTypes: string[] = ["registration.created"]) => {
    const res = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: { url, eventTypes },
    });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; secret: string };
  };
  let people = 0;
  const register = async () => {
    const email = `person${people++}-${uuidv7().slice(-6)}@example.com`;
    const registration = await registered(ctx, org, eventId, {
      firstName: "Ada",
      lastName: "Lovelace",
      email,
    });
    return { registrationId: registration.id, contactId: registration.contact.id, email };
  };
  const headersOf = (r: { id: string; timestamp: string; signature: string }) => ({
    "webhook-id": r.id,
    "webhook-timestamp": r.timestamp,
    "webhook-signature": r.signature,
  });
  const messageOf = async (registrationId: string, type = "registration.created") =>
    ctx.database.db
      .selectFrom("webhook_messages")
      .selectAll()
      .where("registration_id", "=", registrationId)
      .where("event_type", "=", type)
      .executeTakeFirstOrThrow();

  test("a registration reaches the endpoint signed; the reference library verifies it", async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    const person = await register();
    const got = await waitUntil("the delivery", async () => r.received[0]);
    const payload = new Webhook(ep.secret).verify(got.body, headersOf(got)) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
    assert.equal(payload.type, "registration.created");
    assert.equal(payload.data.registrationId, person.registrationId);
    assert.equal(payload.data.contactId, person.contactId);
    assert.equal(payload.data.eventId, eventId);
    assert.equal(payload.data.status, "registered");
    assert.equal(payload.data.sequence, 1);
    assert.ok(!got.body.includes(person.email), "a payload carries ids, not the address");
    assert.equal(got.id, webhookIdOf((await messageOf(person.registrationId)).id));
    assert.ok(Math.abs(Number(got.timestamp) - Date.now() / 1000) < 30);
    assert.equal(got.headers["content-type"], "application/json");
    // A body changed on the way, or a wrong secret, does not verify.
    assert.throws(() => new Webhook(ep.secret).verify(`${got.body} `, headersOf(got)));
    assert.throws(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(got.body, headersOf(got)),
    );
    await ctx.request("DELETE", `/api/v1/webhook-endpoints/${ep.id}`, { token: org.tokens.admin });
  });

  test("during a rotation's overlap each request carries both signatures; either secret verifies", async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    const rotated = await ctx.request("POST", `/api/v1/webhook-endpoints/${ep.id}/rotate-secret`, {
      token: org.tokens.admin,
    });
    assert.equal(rotated.status, 200);
    await register();
    const got = await waitUntil("the delivery", async () => r.received[0]);
    assert.equal(got.signature.split(" ").length, 2);
    assert.match(got.signature, /^v1,\S+ v1,\S+$/);
    new Webhook(ep.secret).verify(got.body, headersOf(got));
    new Webhook(rotated.body.secret).verify(got.body, headersOf(got));
    // Once the overlap is over, only the new secret signs.
    await ctx.database.db
      .updateTable("webhook_endpoint_secrets")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("endpoint_id", "=", ep.id)
      .where("expires_at", "is not", null)
      .execute();
    await register();
    const next = await waitUntil("the second delivery", async () => r.received[1]);
    assert.equal(next.signature.split(" ").length, 1);
    new Webhook(rotated.body.secret).verify(next.body, headersOf(next));
    assert.throws(() => new Webhook(ep.secret).verify(next.body, headersOf(next)));
    await ctx.request("DELETE", `/api/v1/webhook-endpoints/${ep.id}`, { token: org.tokens.admin });
  });

  test("failed attempts (timeout, 500, dropped connection) are retried with the same id, each logged", async () => {
    const script: Behaviour[] = ["timeout", "error500", "drop", "ok"];
    const r = await receiver((n) => script[n] ?? "ok");
    const ep = await endpoint(r.url);
    const person = await register();
    await waitUntil("the fourth request", async () => r.received.length >= 4, 30_000);
    assert.equal(new Set(r.received.map((x) => x.id)).size, 1, "one webhook-id on every retry");
    const message = await messageOf(person.registrationId);
    const attempts = await waitUntil("the attempts logged", async () => {
      const res = await ctx.request(
        "GET",
        `/api/v1/webhook-endpoints/${ep.id}/messages/${message.id}/attempts`,
        { token: org.tokens.admin },
      );
      return res.body.attempts?.length === 4 ? res.body : null;
    });
    assert.equal(attempts.webhookId, r.received[0]?.id);
    const [timedOut, failed, dropped, ok] = attempts.attempts;
    assert.equal(timedOut.status, null);
    assert.match(timedOut.error, /timed out after 1000 ms/);
    assert.ok(timedOut.durationMs >= 900);
    assert.equal(failed.status, 500);
    assert.equal(failed.responseExcerpt.length, 1024, "the excerpt is capped at 1 KiB");
    assert.equal(dropped.status, null);
    assert.ok(dropped.error);
    assert.equal(ok.status, 200);
    assert.equal(ok.responseExcerpt, "thanks");
    const list = await ctx.request("GET", `/api/v1/webhook-endpoints/${ep.id}/deliveries`, {
      token: org.tokens.admin,
    });
    const row = list.body.data.find((d: { messageId: string }) => d.messageId === message.id);
    assert.equal(row.state, "delivered");
    assert.equal(row.attempts, 4);
    // Signatures are fresh on every attempt, and each verifies.
    for (const got of r.received) new Webhook(ep.secret).verify(got.body, headersOf(got));
    await ctx.request("DELETE", `/api/v1/webhook-endpoints/${ep.id}`, { token: org.tokens.admin });
  });

  test("a redirect is an answer, not followed", async () => {
    const r = await receiver(() => "redirect");
    const ep = await endpoint(r.url);
    const person = await register();
    const message = await messageOf(person.registrationId);
    const first = await waitUntil("an attempt logged", async () => {
      const res = await ctx.request(
        "GET",
        `/api/v1/webhook-endpoints/${ep.id}/messages/${message.id}/attempts`,
        { token: org.tokens.admin },
      );
      return res.body.attempts?.[0];
    });
    assert.equal(first.status, 302);
    await ctx.request("PATCH", `/api/v1/webhook-endpoints/${ep.id}`, {
      token: org.tokens.admin,
      body: { enabled: false },
    });
  });

  test("the SSRF guard also refuses at connect time (nothing allowed: loopback is refused)", async () => {
    const r = await receiver();
    const ep = await endpoint(r.url, ["webinar.ended"]);
    // A message and delivery with no job, handed to a worker whose guard allows nothing.
    const messageId = uuidv7();
    const deliveryId = uuidv7();
    const { db } = ctx.database;
    await db
      .insertInto("webhook_messages")
      .values({
        id: messageId,
        organization_id: org.id,
        event_type: "webinar.ended",
        payload: JSON.stringify({ type: "webinar.ended", timestamp: new Date().toISOString(), data: {} }),
        registration_id: null,
        contact_id: null,
      })
      .execute();
    await db
      .insertInto("webhook_deliveries")
      .values({
        id: deliveryId,
        message_id: messageId,
        endpoint_id: ep.id,
        organization_id: org.id,
        state: "pending",
        give_up_at: new Date(Date.now() + 3600_000),
        updated_at: new Date(),
      })
      .execute();
    const strict = createWebhookDelivery({
      db,
      queue: ctx.runtime.queue,
      secrets: createSecretStore({ envelope: ctx.runtime.envelope }),
      audit: ctx.services.audit,
      fetch: createGuardedFetch(NOTHING_ALLOWED),
    });
    await strict.handle({ deliveryId });
    const attempt = await db
      .selectFrom("webhook_attempts")
      .selectAll()
      .where("delivery_id", "=", deliveryId)
      .executeTakeFirstOrThrow();
    assert.equal(attempt.status, null);
    assert.equal(attempt.error, "EOUTBOUNDBLOCKED");
    assert.equal(r.received.length, 0);
    await ctx.request("DELETE", `/api/v1/webhook-endpoints/${ep.id}`, { token: org.tokens.admin });
  });

  test("an endpoint failing every attempt is disabled (audit, reason); enabling and replay deliver what it missed", async () => {
    let healthy = false;
    const r = await receiver(() => (healthy ? "ok" : "error500"));
    const ep = await endpoint(r.url);
    const first = await register();
    const disabled = await waitUntil(
      "the endpoint disabled",
      async () => {
        const res = await ctx.request("GET", `/api/v1/webhook-endpoints/${ep.id}`, {
          token: org.tokens.admin,
        });
        return res.body.enabled === false ? res.body : null;
      },
      40_000,
    );
    assert.match(disabled.disabledReason, /Every delivery attempt failed since/);
    assert.ok(disabled.disabledAt);
    assert.ok(disabled.failingSince);
    const audit = await ctx.database.db
      .selectFrom("audit_log")
      .select(["actor_kind", "action"])
      .where("target_id", "=", ep.id)
      .where("action", "=", "webhook_endpoint.disabled")
      .execute();
    assert.deepEqual(audit, [{ actor_kind: "system", action: "webhook_endpoint.disabled" }]);
    const tried = r.received.length;
    assert.ok(tried >= 2);

    // Written while the endpoint is off: kept, not sent.
    const second = await register();
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(r.received.length, tried, "nothing is sent to a disabled endpoint");
    const refused = await ctx.request("POST", `/api/v1/webhook-endpoints/${ep.id}/replay`, {
      token: org.tokens.admin,
      body: { messageId: (await messageOf(second.registrationId)).id },
    });
    assert.equal(refused.status, 409);

    healthy = true;
    const enabled = await ctx.request("PATCH", `/api/v1/webhook-endpoints/${ep.id}`, {
      token: org.tokens.admin,
      body: { enabled: true },
    });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.disabledReason, null);
    const firstId = webhookIdOf((await messageOf(first.registrationId)).id);
    const secondId = webhookIdOf((await messageOf(second.registrationId)).id);
    // Enabling resumes the pending delivery of the first…
    await waitUntil("the first delivered", async () => r.accepted().some((x) => x.id === firstId));
    assert.ok(!r.received.some((x) => x.id === secondId));
    // …and a range replay sends what the endpoint never got (the second), not what it has.
    const replay = await ctx.request("POST", `/api/v1/webhook-endpoints/${ep.id}/replay`, {
      token: org.tokens.admin,
      body: { since: new Date(Date.now() - 600_000).toISOString(), until: new Date().toISOString() },
    });
    assert.equal(replay.status, 202, replay.text);
    assert.equal(replay.body.replayed, 1);
    await waitUntil("the second delivered", async () => r.accepted().some((x) => x.id === secondId));
    // One message again on request, with its original id.
    const one = await ctx.request("POST", `/api/v1/webhook-endpoints/${ep.id}/replay`, {
      token: org.tokens.admin,
      body: { messageId: (await messageOf(first.registrationId)).id },
    });
    assert.equal(one.body.replayed, 1);
    await waitUntil("the first again", async () => r.accepted().filter((x) => x.id === firstId).length === 2);
    const bad = await ctx.request("POST", `/api/v1/webhook-endpoints/${ep.id}/replay`, {
      token: org.tokens.admin,
      body: { since: new Date().toISOString(), until: new Date(Date.now() - 1000).toISOString() },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.field, "until");
    await ctx.request("DELETE", `/api/v1/webhook-endpoints/${ep.id}`, { token: org.tokens.admin });
  });

  test("erasing a person deletes their messages, deliveries and attempts; erasure.completed names nobody", async () => {
    const r = await receiver();
    const ep = await endpoint(r.url, ["registration.created", "registration.cancelled", "erasure.completed"]);
    const person = await register();
    const cancel = await ctx.request("POST", `/api/v1/registrations/${person.registrationId}/cancel`, {
      token: org.tokens.marketer,
    });
    assert.ok(cancel.status < 300, cancel.text);
    await waitUntil("two deliveries", async () => r.accepted().length >= 2);
    const { db } = ctx.database;
    const about = () =>
      db
        .selectFrom("webhook_messages")
        .select("id")
        .where((eb) =>
          eb.or([eb("registration_id", "=", person.registrationId), eb("contact_id", "=", person.contactId)]),
        )
        .execute();
    const before = await about();
    assert.equal(before.length, 2);
    const erased = await ctx.request("DELETE", `/api/v1/contacts/${person.contactId}`, {
      token: org.tokens.admin,
    });
    assert.ok(erased.status < 300, erased.text);
    assert.deepEqual(await about(), []);
    const left = await db
      .selectFrom("webhook_attempts")
      .select("id")
      .where(
        "message_id",
        "in",
        before.map((m) => m.id),
      )
      .execute();
    assert.deepEqual(left, []);
    const done = await waitUntil("erasure.completed", async () =>
      r.accepted().find((x) => JSON.parse(x.body).type === "erasure.completed"),
    );
    const data = JSON.parse(done.body).data;
    assert.equal(data.contactsErased, 1);
    assert.equal(data.registrationsErased, 1);
    assert.ok(!done.body.includes(person.email) && !done.body.includes(person.contactId));
    await ctx.request("DELETE", `/api/v1/webhook-endpoints/${ep.id}`, { token: org.tokens.admin });
  });
});
