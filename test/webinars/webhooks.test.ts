import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { startZoomSimulator } from "../../simulators/zoom/server.ts";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import { zoomWebinar } from "../helpers/webinar-setup.ts";
import { registerMany, syncCounts, waitUntil } from "./fixtures.ts";

/**
 * Webhook ingestion end to end: the Zoom simulator delivers signed events over HTTP to
 * POST /webhooks/{configurationId} of the running app, and our records follow within
 * seconds. Hand-signed deliveries (Zoom's documented scheme) cover tampering, replays and
 * duplicates.
 */
const ZOOM = {
  accountId: "acct-hooks",
  clientId: "client-hooks",
  clientSecret: "SECRET-hooks-zoom",
  webhookSecretToken: "WEBHOOK-hooks-zoom",
};
const zoom = await startZoomSimulator({
  accounts: [{ accountId: ZOOM.accountId, clientId: ZOOM.clientId, clientSecret: ZOOM.clientSecret }],
  seed: 9,
});
testEnv.AUDITORIUM_ZOOM_API_URL = zoom.apiUrl;
testEnv.AUDITORIUM_ZOOM_OAUTH_URL = zoom.oauthUrl;
after(() => zoom.close());

/** A delivery signed as Zoom signs: v0=HMAC-SHA256(secret, "v0:{ts}:{body}"). */
function signed(body: unknown, options: { secret?: string; ts?: number } = {}) {
  const raw = JSON.stringify(body);
  const ts = String(options.ts ?? Math.floor(Date.now() / 1000));
  const sig = createHmac("sha256", options.secret ?? ZOOM.webhookSecretToken)
    .update(`v0:${ts}:${raw}`)
    .digest("hex");
  return {
    raw,
    headers: {
      "content-type": "application/json",
      "x-zm-request-timestamp": ts,
      "x-zm-signature": `v0=${sig}`,
    },
  };
}

/** Calls the Zoom simulator's API as someone acting at Zoom directly (not through us). */
async function zoomApi(method: string, path: string, body?: unknown) {
  const basic = Buffer.from(`${ZOOM.clientId}:${ZOOM.clientSecret}`).toString("base64");
  const tokenRes = await fetch(
    `${zoom.oauthUrl}/oauth/token?grant_type=account_credentials&account_id=${ZOOM.accountId}`,
    { method: "POST", headers: { authorization: `Basic ${basic}` } },
  );
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const res = await fetch(`${zoom.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function setup(ctx: TestContext, org: TestOrg) {
  const { configId, eventId } = await zoomWebinar(ctx, org, ZOOM, { title: "Webhook webinar" });
  const webinarKey = await waitUntil("provisioned", async () => {
    const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, {
      token: org.tokens.viewer,
    });
    return res.body.data[0]?.providerWebinarId as string | undefined;
  });
  return { configId, eventId, webinarKey };
}

/** Registration, contact and sync row of one address at the event. */
async function person(ctx: TestContext, eventId: string, email: string) {
  return ctx.database.db
    .selectFrom("registrations as r")
    .innerJoin("contacts as c", "c.id", "r.contact_id")
    .leftJoin("registration_syncs as s", "s.registration_id", "r.id")
    .leftJoin("attendance as a", (j) =>
      j.onRef("a.registration_id", "=", "r.id").onRef("a.webinar_id", "=", "s.webinar_id"),
    )
    .select([
      "r.id",
      "r.status",
      "r.source",
      "s.state",
      "s.join_url",
      "s.provider_registrant_id",
      "a.live_minutes",
    ])
    .where("r.event_id", "=", eventId)
    .where("c.email_normalized", "=", email)
    .orderBy("r.created_at", "desc")
    .executeTakeFirst();
}

forEachBackend("webhooks", (ctx) => {
  let org: TestOrg;
  let hook: Awaited<ReturnType<typeof setup>>;
  let base: string;

  before(async () => {
    await ctx.app.listen({ host: "127.0.0.1", port: 0 });
    const address = ctx.app.server.address();
    assert.ok(address && typeof address !== "string");
    base = `http://127.0.0.1:${address.port}`;
    await ctx.services.syncWorker.start();
    org = await ctx.createOrg("hooks-org");
    hook = await setup(ctx, org);
    // Outgoing webhooks: what the provider reports is passed on (messages written; not delivered here).
    const endpoint = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: {
        url: "http://127.0.0.1:9/hooks",
        eventTypes: ["registration.synced", "registration.cancelled"],
      },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
  });
  const outgoing = (type: string, registrationId: string) =>
    ctx.database.db
      .selectFrom("webhook_messages")
      .select("payload")
      .where("event_type", "=", type)
      .where("registration_id", "=", registrationId)
      .execute();

  test("Zoom's url_validation handshake is answered", async () => {
    const res = await fetch(`${zoom.url}/_sim/webhook`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: `${base}/webhooks/${hook.configId}`,
        secretToken: ZOOM.webhookSecretToken,
      }),
    });
    assert.deepEqual(await res.json(), { validated: true });
  });

  test("someone registering directly at Zoom appears as a provider registration with their link", async () => {
    await registerMany(ctx, org, hook.eventId, 3, "ours");
    await waitUntil("ours synced", async () => (await syncCounts(ctx, hook.eventId)).synced === 3);
    const direct = await zoomApi("POST", `/webinars/${hook.webinarKey}/registrants`, {
      email: "direct@example.com",
      first_name: "Dora",
      last_name: "Direct",
    });
    assert.equal(direct.status, 201);
    const row = await waitUntil(
      "direct registrant arrived",
      () => person(ctx, hook.eventId, "direct@example.com"),
      10_000,
    );
    assert.equal(row.source, "provider");
    assert.equal(row.status, "registered");
    assert.equal(row.state, "synced");
    assert.equal(row.provider_registrant_id, direct.body.registrant_id);
    assert.equal(row.join_url, direct.body.join_url);
    const registration = await ctx.database.db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select("r.id")
      .where("c.email_normalized", "=", "direct@example.com")
      .executeTakeFirstOrThrow();
    const synced = await waitUntil("registration.synced written", async () => {
      const m = await outgoing("registration.synced", registration.id);
      return m.length > 0 && m;
    });
    assert.equal(synced.length, 1, "one registration.synced, however often Zoom delivers");
    // Exactly one registration for that person, however often Zoom delivers.
    const count = await ctx.database.db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("c.email_normalized", "=", "direct@example.com")
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  test("a cancellation at Zoom cancels ours, and nothing is sent back", async () => {
    const target = await person(ctx, hook.eventId, "ours0@example.com");
    assert.ok(target?.provider_registrant_id);
    const statusCalls = () =>
      zoom.state.requests.byEndpoint["PUT /webinars/{webinarId}/registrants/status"] ?? 0;
    const res = await zoomApi("PUT", `/webinars/${hook.webinarKey}/registrants/status`, {
      action: "cancel",
      registrants: [{ id: target.provider_registrant_id }],
    });
    assert.equal(res.status, 204);
    const callsAfter = statusCalls();
    const row = await waitUntil(
      "cancelled here",
      async () => {
        const p = await person(ctx, hook.eventId, "ours0@example.com");
        return p?.status === "cancelled" ? p : null;
      },
      10_000,
    );
    assert.equal(row.state, "cancelled");
    const cancelled = await outgoing("registration.cancelled", row.id);
    assert.equal(cancelled.length, 1);
    const payload = cancelled[0]?.payload as { data: { cancelledBy: string } } | undefined;
    assert.equal(payload?.data.cancelledBy, "provider");
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(statusCalls(), callsAfter, "we sent a cancel back to Zoom");
  });

  test("participants joining and leaving show as attended within seconds", async () => {
    const run = await fetch(`${zoom.url}/_sim/webinars/${hook.webinarKey}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        attendees: [
          { email: "ours1@example.com", minutes: 20, segments: 2 },
          { email: "walkin@example.com", minutes: 7, name: "Walter Walkin" },
        ],
      }),
    });
    assert.equal(run.status, 200);
    const ours = await waitUntil(
      "attended live",
      async () => {
        const p = await person(ctx, hook.eventId, "ours1@example.com");
        return (p?.live_minutes ?? 0) > 0 ? p : null;
      },
      10_000,
    );
    assert.ok((ours.live_minutes ?? 0) >= 1);
    const walkIn = await waitUntil(
      "walk-in added",
      () => person(ctx, hook.eventId, "walkin@example.com"),
      10_000,
    );
    assert.equal(walkIn.source, "provider");
    const presence = await ctx.database.db.selectFrom("webinar_presence").select("registration_id").execute();
    assert.ok(
      presence.some((p) => p.registration_id === ours.id),
      "live presence recorded from webhooks",
    );
  });

  test("duplicated and replayed deliveries change nothing", async () => {
    const joined = new Date(Date.now() - 20 * 60_000);
    const left = new Date(joined.getTime() + 12 * 60_000);
    const participant = (event: string, at: Date) => ({
      event,
      event_ts: Date.now(),
      payload: {
        account_id: ZOOM.accountId,
        object: {
          id: hook.webinarKey,
          participant: {
            user_name: "Ours Two",
            email: "ours2@example.com",
            ...(event.endsWith("joined")
              ? { join_time: at.toISOString() }
              : { leave_time: at.toISOString() }),
          },
        },
      },
    });
    const took: number[] = [];
    const deliver = async (body: unknown) => {
      const d = signed(body);
      const started = performance.now();
      const res = await ctx.request("POST", `/webhooks/${hook.configId}`, { raw: d.raw, headers: d.headers });
      took.push(performance.now() - started);
      assert.equal(res.status, 200, res.text);
    };
    const minutes = async () => (await person(ctx, hook.eventId, "ours2@example.com"))?.live_minutes;
    await deliver(participant("webinar.participant_joined", joined));
    await deliver(participant("webinar.participant_joined", joined));
    assert.equal(await minutes(), 1, "in the room counts as attended");
    await deliver(participant("webinar.participant_left", left));
    assert.equal(await minutes(), 12);
    await deliver(participant("webinar.participant_left", left));
    await deliver(participant("webinar.participant_joined", joined));
    await deliver(participant("webinar.participant_left", left));
    assert.equal(await minutes(), 12, "a replay added minutes");
    took.sort((a, b) => a - b);
    console.log(`participant deliveries answered in ${took.map((t) => t.toFixed(0)).join(", ")} ms`);
  });

  test("a tampered or stale delivery is refused (401) and changes nothing", async () => {
    const body = {
      event: "webinar.registration_created",
      event_ts: Date.now(),
      payload: {
        account_id: ZOOM.accountId,
        object: {
          id: hook.webinarKey,
          registrant: { id: "forged-1", email: "forged@example.com", first_name: "F", join_url: "https://x" },
        },
      },
    };
    const good = signed(body);
    const tampered = good.raw.replace("forged@example.com", "forger@example.com");
    const cases = [
      { raw: tampered, headers: good.headers },
      { ...signed(body, { secret: "not-the-secret" }) },
      { ...signed(body, { ts: Math.floor(Date.now() / 1000) - 600 }) },
      { raw: good.raw, headers: { "content-type": "application/json" } },
    ];
    for (const c of cases) {
      const res = await ctx.request("POST", `/webhooks/${hook.configId}`, { raw: c.raw, headers: c.headers });
      assert.equal(res.status, 401, res.text);
      assert.ok(!res.text.includes("forged"));
    }
    for (const email of ["forged@example.com", "forger@example.com"])
      assert.equal(await person(ctx, hook.eventId, email), undefined);
    assert.ok(!ctx.logs.join("").includes("forged@example.com"), "a rejected body reached the logs");
  });

  test("unknown or switched-off configurations are 404 and change nothing", async () => {
    const body = {
      event: "webinar.registration_created",
      event_ts: Date.now(),
      payload: {
        account_id: ZOOM.accountId,
        object: {
          id: hook.webinarKey,
          registrant: { id: "late-1", email: "late@example.com", first_name: "L" },
        },
      },
    };
    const d = signed(body);
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const res = await ctx.request("POST", `/webhooks/${id}`, { raw: d.raw, headers: d.headers });
      assert.equal(res.status, 404);
    }
    const own = await ctx.createOrg("hooks-off");
    const off = await setup(ctx, own);
    const removed = await ctx.request(
      "DELETE",
      `/api/v1/webinar-configurations/${off.configId}/credentials`,
      {
        token: own.tokens.admin,
      },
    );
    assert.equal(removed.status, 200);
    const offBody = {
      ...body,
      payload: { ...body.payload, object: { ...body.payload.object, id: off.webinarKey } },
    };
    const o = signed(offBody);
    const res = await ctx.request("POST", `/webhooks/${off.configId}`, { raw: o.raw, headers: o.headers });
    assert.equal(res.status, 404);
    assert.equal(await person(ctx, off.eventId, "late@example.com"), undefined);
  });

  test("a flood of forged deliveries pauses that sender (429) before anything is verified, not the others", async () => {
    const forged = signed(
      { event: "webinar.ended", payload: { object: { id: hook.webinarKey } } },
      { secret: "x" },
    );
    const forger = "203.0.113.66";
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await ctx.request("POST", `/webhooks/${hook.configId}`, {
        raw: forged.raw,
        headers: forged.headers,
        remoteAddress: forger,
      });
      statuses.push(res.status);
    }
    // At most 20 a minute from one sender are looked at.
    const first = statuses.indexOf(429);
    assert.ok(first > 0 && first <= 21, `first 429 at ${first}`);
    assert.ok(statuses.slice(0, first).every((s) => s === 401));
    assert.ok(statuses.slice(first).every((s) => s === 429));
    const genuine = signed({ event: "webinar.ended", payload: { object: { id: hook.webinarKey } } });
    const res = await ctx.request("POST", `/webhooks/${hook.configId}`, {
      raw: genuine.raw,
      headers: genuine.headers,
      remoteAddress: forger,
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers["retry-after"]) > 0);
    // The provider's real deliveries come from elsewhere and still get through.
    const real = await ctx.request("POST", `/webhooks/${hook.configId}`, {
      raw: genuine.raw,
      headers: genuine.headers,
      remoteAddress: "198.51.100.30",
    });
    assert.equal(real.status, 200, real.text);
  });
});
