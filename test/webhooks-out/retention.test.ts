import assert from "node:assert/strict";
import { before, test } from "node:test";
import { uuidv7 } from "../../src/lib/ids.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/**
 * Messages and attempts are kept for the retention period (30 days by default) and then
 * deleted by the hourly retention sweep — except a message still waiting for a disabled
 * endpoint, which an admin may switch back on.
 */
forEachBackend("outgoing webhook retention", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("webhooks-out retention");
  });

  test("old messages and attempts go; recent ones and one still pending stay", async () => {
    const { db } = ctx.database;
    const ep = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: { url: "http://127.0.0.1:9/hooks", eventTypes: ["webinar.ended"] },
    });
    const endpointId = ep.body.id as string;
    const day = 86_400_000;
    const write = async (ageDays: number, state: "delivered" | "pending") => {
      const at = new Date(Date.now() - ageDays * day);
      const id = uuidv7();
      await db
        .insertInto("webhook_messages")
        .values({
          id,
          organization_id: org.id,
          event_type: "webinar.ended",
          payload: JSON.stringify({ type: "webinar.ended", timestamp: at.toISOString(), data: {} }),
          registration_id: null,
          contact_id: null,
          created_at: at,
        })
        .execute();
      const deliveryId = uuidv7();
      await db
        .insertInto("webhook_deliveries")
        .values({
          id: deliveryId,
          message_id: id,
          endpoint_id: endpointId,
          organization_id: org.id,
          state,
          give_up_at: new Date(at.getTime() + 3 * day),
          updated_at: at,
        })
        .execute();
      await db
        .insertInto("webhook_attempts")
        .values({
          id: uuidv7(),
          delivery_id: deliveryId,
          message_id: id,
          endpoint_id: endpointId,
          organization_id: org.id,
          attempted_at: at,
          status: 500,
          duration_ms: 12,
          response_excerpt: null,
          error: null,
        })
        .execute();
      return id;
    };
    const old = await write(40, "delivered");
    const recent = await write(2, "delivered");
    const waiting = await write(45, "pending");
    const swept = await ctx.services.sweepWebhookHistory();
    // The old message takes its attempt along; the waiting one keeps its message, not its old attempt.
    assert.deepEqual(swept, { messages: 1, attempts: 1 });
    const left = (
      await db.selectFrom("webhook_messages").select("id").where("organization_id", "=", org.id).execute()
    )
      .map((m) => m.id)
      .sort();
    assert.deepEqual(left, [recent, waiting].sort());
    assert.ok(!left.includes(old));
    const attempts = await db
      .selectFrom("webhook_attempts")
      .select("message_id")
      .where("organization_id", "=", org.id)
      .execute();
    assert.deepEqual(
      attempts.map((a) => a.message_id),
      [recent],
    );
  });
});
