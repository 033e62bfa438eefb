import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { verifyWebhook } from "../../docs/examples/webhook-receiver.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { waitUntil } from "../webinars/fixtures.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const root = path.resolve(import.meta.dirname, "../..");

test("docs/webhooks-out.md shows the receiver example word for word", () => {
  const doc = readFileSync(path.join(root, "docs/webhooks-out.md"), "utf8");
  const block = /<!-- receiver-example:start -->\n```ts\n([\s\S]*?)```\n<!-- receiver-example:end -->/.exec(
    doc,
  );
  assert.ok(block, "the marked block is in the document");
  assert.equal(block[1], readFileSync(path.join(root, "docs/examples/webhook-receiver.ts"), "utf8"));
});

/** The documented receiver, run on real deliveries: it accepts ours and refuses tampering. */
forEachBackend("the documented receiver example", (ctx) => {
  let org: TestOrg;
  let receiver: Receiver;
  before(async () => {
    org = await ctx.createOrg("receiver example");
    receiver = await startReceiver();
    await ctx.services.webhookDelivery.start();
  });
  after(() => receiver.close());

  test("verifies a real delivery, also during a rotation; refuses a changed body, a wrong secret, a stale time", async () => {
    const ep = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: { url: receiver.url, eventTypes: ["registration.created"] },
    });
    const event = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Receiver",
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 90_000_000).toISOString(),
        timeZone: "UTC",
        format: "onsite",
      },
    });
    const register = (email: string) =>
      ctx.request("POST", `/api/v1/events/${event.body.id}/registrations`, {
        token: org.tokens.marketer,
        body: { contact: { firstName: "R", lastName: "E", email } },
      });
    await register("one@example.com");
    const got = await waitUntil("a delivery", async () => receiver.received[0]);
    const headers = {
      "webhook-id": got.id,
      "webhook-timestamp": got.timestamp,
      "webhook-signature": got.signature,
    };
    const event1 = verifyWebhook(ep.body.secret, headers, got.body);
    assert.equal(event1.type, "registration.created");
    assert.throws(
      () => verifyWebhook(ep.body.secret, headers, got.body.replace("registered", "cancelled")),
      /bad signature/,
    );
    assert.throws(
      () => verifyWebhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, headers, got.body),
      /bad signature/,
    );
    assert.throws(
      () =>
        verifyWebhook(
          ep.body.secret,
          { ...headers, "webhook-timestamp": String(Number(got.timestamp) - 600) },
          got.body,
        ),
      /stale timestamp/,
    );
    const rotated = await ctx.request("POST", `/api/v1/webhook-endpoints/${ep.body.id}/rotate-secret`, {
      token: org.tokens.admin,
    });
    await register("two@example.com");
    const second = await waitUntil("a second delivery", async () => receiver.received[1]);
    const h2 = {
      "webhook-id": second.id,
      "webhook-timestamp": second.timestamp,
      "webhook-signature": second.signature,
    };
    assert.equal(verifyWebhook(ep.body.secret, h2, second.body).type, "registration.created");
    assert.equal(verifyWebhook(rotated.body.secret, h2, second.body).type, "registration.created");
  });
});
