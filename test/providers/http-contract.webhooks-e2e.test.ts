// Signed webhooks from the reference implementation into the REAL service: the simulator POSTs
// to Auditorium's /webhooks/{configurationId} over HTTP; a person registering or cancelling
// directly at the service, and attendance published there, reach our records within seconds
// (no poll asked for); a delivery with a bad signature is refused and changes nothing.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { registerMany, waitSynced, waitUntil } from "../webinars/fixtures.ts";
import { CONTRACT_ACCOUNT } from "./drivers/http-contract.ts";

const sim: ContractSimulator = await startContractSimulator({
  clients: [{ clientId: CONTRACT_ACCOUNT.clientId, clientSecret: CONTRACT_ACCOUNT.clientSecret }],
});
after(() => sim.close());

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sim.url}/_sim${path}`, {
    method,
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  return { status: res.status, body: (await res.json()) as any };
};

forEachBackend("open-contract webhooks into the service", (ctx) => {
  let org: TestOrg;
  let appUrl: string;
  before(async () => {
    org = await ctx.createOrg("contract-hooks");
    await ctx.services.syncWorker.start();
    appUrl = await ctx.app.listen({ host: "127.0.0.1", port: 0 });
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: org.tokens.admin });
    await ctx.request("POST", "/api/v1/webinar/terms/accept", {
      token: org.tokens.admin,
      body: { version: terms.body.version },
    });
  });
  after(() => control("POST", "/webhooks", null));

  test("registrations, cancellations and attendance at the service arrive by webhook; a bad signature changes nothing", async () => {
    const config = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: org.tokens.admin,
      body: {
        provider: "http-contract",
        name: "Partner with webhooks",
        settings: { baseUrl: sim.baseUrl },
        credentials: CONTRACT_ACCOUNT,
        requestsPerSecond: 200,
      },
    });
    assert.equal(config.status, 201, config.text);
    const hookUrl = `${appUrl}/webhooks/${config.body.id}`;
    // The event starts in a day, so the first scheduled poll is far away: anything that
    // arrives in seconds arrived by webhook.
    const start = new Date(Date.now() + 86_400_000);
    const event = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Hooked webinar",
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        timeZone: "UTC",
        format: "webinar",
        webinarConfigurationId: config.body.id,
      },
    });
    assert.equal(event.status, 201, event.text);
    const eventId = event.body.id as string;
    await registerMany(ctx, org, eventId, 3, "hooked");
    await waitSynced(ctx, eventId, 3, "synced");
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer })
    ).body.data[0];
    const w = webinar.providerWebinarId as string;
    assert.equal(
      (await control("POST", "/webhooks", { url: hookUrl, secret: CONTRACT_ACCOUNT.webhookSecret })).status,
      200,
    );

    const registrationsOf = () =>
      ctx.database.db
        .selectFrom("registrations as r")
        .innerJoin("contacts as c", "c.id", "r.contact_id")
        .select(["c.email", "r.status", "r.source"])
        .where("r.event_id", "=", eventId)
        .execute();

    // A bad signature: refused, and nothing changes.
    const forged = JSON.stringify({
      id: "evt_forged",
      type: "registration.cancelled",
      createdAt: new Date().toISOString(),
      webinarId: w,
      data: { id: "x", email: "hooked0@example.com" },
    });
    const t = Math.floor(Date.now() / 1000);
    const refused = await fetch(hookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "auditorium-signature": `t=${t},v1=${createHmac("sha256", "not-the-secret").update(`${t}.${forged}`).digest("hex")}`,
      },
      body: forged,
    });
    assert.equal(refused.status, 401);
    assert.ok((await registrationsOf()).every((r) => r.status !== "cancelled"));

    // Someone registers directly at the service.
    const direct = await control("POST", `/webinars/${w}/registrations`, {
      email: "direct@example.com",
      firstName: "Di",
      lastName: "Rect",
    });
    assert.equal(direct.status, 201);
    await waitUntil(
      "direct registration arrived",
      async () =>
        (await registrationsOf()).find((r) => r.email === "direct@example.com" && r.source === "provider"),
      15_000,
    );

    // Someone cancels directly at the service.
    const rows = (await control("GET", `/webinars/${w}/registrants`)).body.data as {
      email: string;
      providerRegistrantId: string;
    }[];
    const hooked1 = rows.find((r) => r.email === "hooked1@example.com");
    assert.ok(hooked1);
    await control("POST", `/webinars/${w}/registrations/${hooked1.providerRegistrantId}/cancel`);
    await waitUntil(
      "cancellation arrived",
      async () =>
        (await registrationsOf()).find((r) => r.email === "hooked1@example.com" && r.status === "cancelled"),
      15_000,
    );

    // Attendance published at the service.
    const run = await control("POST", `/webinars/${w}/run`, {
      attendees: [
        { email: "hooked0@example.com", minutes: 31 },
        { email: "hooked2@example.com", minutes: 12 },
      ],
    });
    assert.equal(run.status, 200);
    const minutes = await waitUntil(
      "attendance arrived",
      async () => {
        const got = await ctx.database.db
          .selectFrom("attendance as a")
          .innerJoin("registrations as r", "r.id", "a.registration_id")
          .innerJoin("contacts as c", "c.id", "r.contact_id")
          .select(["c.email", "a.live_minutes"])
          .where("r.event_id", "=", eventId)
          .execute();
        return got.length === 2 ? new Map(got.map((g) => [g.email, g.live_minutes])) : null;
      },
      15_000,
    );
    assert.equal(minutes.get("hooked0@example.com"), 31);
    assert.equal(minutes.get("hooked2@example.com"), 12);
    assert.ok(sim.state.deliveries.some((d) => d.status === 401) === false, "a genuine delivery was refused");
  });
});
