import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";
import { ON24_ACCOUNT, startSimulator as startOn24, waitUntil } from "../webinars/fixtures.ts";

/**
 * Group commit keeps the sync work (src/modules/registrations/intake-batch.ts): registrations
 * that shared a transaction enqueued their webinar sync jobs in it, so every place answered
 * 201 reaches the provider (the ON24 simulator) and no waitlist spot does.
 */
const on24 = await startOn24();
testEnv.AUDITORIUM_ON24_NA_URL = on24.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = on24.baseUrls.EU;
after(() => on24.close());

forEachBackend("group commit and the webinar sync", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("group commit sync");
    await ctx.services.syncWorker.start();
  });

  test("30 at once for 10 places of a webinar: the 10 placed are synced to the provider, the 20 waitlisted are not", async () => {
    const { eventId } = await webinarEvent(ctx, org, {
      provider: "on24",
      name: "ON24",
      settings: { region: "NA" },
      requestsPerSecond: 200,
      credentials: ON24_ACCOUNT,
      event: { capacity: 10 },
    });
    // Provisioned first: its backfill (which plans every registration already placed) is
    // over, so only the batch's own jobs can bring the burst's people to the provider.
    await waitUntil("the webinar provisioned", async () => {
      const list = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, {
        token: org.tokens.viewer,
      });
      return list.body.data[0]?.state === "provisioned";
    });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
          token: org.tokens.marketer,
          body: { contact: { firstName: `S${i}`, lastName: "Sync", email: `sync${i}@example.com` } },
        }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(30).fill(201),
      answers.map((a) => a.text).join("\n"),
    );
    const rows = await ctx.database.db
      .selectFrom("registrations")
      .select(["id", "status", sql<string>`xmin::text`.as("xmin")])
      .where("event_id", "=", eventId)
      .execute();
    assert.ok(new Set(rows.map((r) => r.xmin)).size < rows.length, "no batch formed");
    const placed = rows.filter((r) => r.status === "registered").map((r) => r.id);
    assert.equal(placed.length, 10);

    const synced = await waitUntil("the placed registrations synced", async () => {
      const syncs = await ctx.database.db
        .selectFrom("registration_syncs")
        .select(["registration_id", "state"])
        .where(
          "registration_id",
          "in",
          rows.map((r) => r.id),
        )
        .execute();
      return syncs.length === 10 && syncs.every((s) => s.state === "synced") ? syncs : undefined;
    });
    assert.deepEqual(synced.map((s) => s.registration_id).sort(), [...placed].sort());
  });
});
