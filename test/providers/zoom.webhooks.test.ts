import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import type { WebhookEvent, WebhookOutcome, WebhookRequest } from "../../src/providers/contract.ts";
import { createZoomProvider } from "../../src/providers/zoom/adapter.ts";
import { ZOOM_TEST_ACCOUNT, zoomAccount } from "../simulators/zoom-harness.ts";

const zoom = createZoomProvider();
const account = zoomAccount();
const SECRET = ZOOM_TEST_ACCOUNT.webhookSecretToken;
const NOW = new Date("2026-11-26T12:00:00Z");
const context = { now: NOW, clientStates: [] };

/** A delivery as Zoom signs it: v0=HMAC-SHA256(secret, "v0:{ts}:{body}"). */
function delivery(body: unknown, options: { secret?: string; at?: Date; raw?: string } = {}): WebhookRequest {
  const raw = options.raw ?? JSON.stringify(body);
  const ts = String(Math.floor((options.at ?? NOW).getTime() / 1000));
  const sig = createHmac("sha256", options.secret ?? SECRET)
    .update(`v0:${ts}:${raw}`)
    .digest("hex");
  return {
    headers: {
      "x-zm-signature": `v0=${sig}`,
      "x-zm-request-timestamp": ts,
      "content-type": "application/json",
    },
    query: {},
    rawBody: Buffer.from(raw),
  };
}

const handle = (req: WebhookRequest, ctx = context) => {
  assert.ok(zoom.handleWebhook);
  return zoom.handleWebhook(account, req, ctx);
};

const registrationCreated = {
  event: "webinar.registration_created",
  event_ts: NOW.getTime(),
  payload: {
    account_id: ZOOM_TEST_ACCOUNT.accountId,
    object: {
      uuid: "u",
      id: 81234567890,
      host_id: "h",
      topic: "T",
      type: 5,
      start_time: "2026-12-01T10:00:00Z",
      duration: 60,
      timezone: "UTC",
      registrant: {
        id: "reg-abc",
        first_name: "Ada",
        last_name: "Lovelace",
        email: "ada@example.com",
        status: "approved",
        join_url: "https://zoom.us/w/81234567890?tk=x",
      },
    },
  },
};

describe("Zoom webhooks: verification", () => {
  test("a correctly signed delivery is read", () => {
    const out = handle(delivery(registrationCreated));
    assert.deepEqual(out, {
      kind: "events",
      events: [
        {
          type: "registrant.upserted",
          providerWebinarId: "81234567890",
          registrant: {
            providerRegistrantId: "reg-abc",
            email: "ada@example.com",
            joinUrl: "https://zoom.us/w/81234567890?tk=x",
            firstName: "Ada",
            lastName: "Lovelace",
          },
        },
      ],
    });
  });

  test("a tampered body, a wrong secret, a missing or malformed header are rejected", () => {
    const good = delivery(registrationCreated);
    const tampered = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace("ada@", "eve@")) };
    assert.equal(handle(tampered).kind, "rejected");
    assert.equal(handle(delivery(registrationCreated, { secret: "not-the-secret" })).kind, "rejected");
    assert.equal(
      handle({ ...good, headers: { ...good.headers, "x-zm-signature": undefined } }).kind,
      "rejected",
    );
    assert.equal(
      handle({ ...good, headers: { ...good.headers, "x-zm-signature": "v0=deadbeef" } }).kind,
      "rejected",
    );
    assert.equal(
      handle({ ...good, headers: { ...good.headers, "x-zm-request-timestamp": "soon" } }).kind,
      "rejected",
    );
    const noSecret = zoomAccount({ webhookSecretToken: " " });
    assert.equal(zoom.handleWebhook?.(noSecret, good, context).kind, "rejected");
  });

  test("a delivery more than 5 minutes old (or ahead) is rejected even when correctly signed", () => {
    const old = delivery(registrationCreated, { at: new Date(NOW.getTime() - 5 * 60_000 - 1000) });
    const out = handle(old);
    assert.equal(out.kind, "rejected");
    assert.match((out as { reason: string }).reason, /5 minutes/);
    assert.equal(
      handle(delivery(registrationCreated, { at: new Date(NOW.getTime() + 6 * 60_000) })).kind,
      "rejected",
    );
    assert.equal(
      handle(delivery(registrationCreated, { at: new Date(NOW.getTime() - 4 * 60_000) })).kind,
      "events",
    );
  });

  test("endpoint.url_validation is answered with the HMAC of the plain token", () => {
    const body = {
      event: "endpoint.url_validation",
      event_ts: NOW.getTime(),
      payload: { plainToken: "qgg8vlvZRS6UYooatFL8Aw" },
    };
    const out = handle(delivery(body));
    assert.equal(out.kind, "respond");
    const r = out as Extract<WebhookOutcome, { kind: "respond" }>;
    assert.equal(r.status, 200);
    assert.equal(r.contentType, "application/json");
    assert.deepEqual(JSON.parse(r.body), {
      plainToken: "qgg8vlvZRS6UYooatFL8Aw",
      encryptedToken: createHmac("sha256", SECRET).update("qgg8vlvZRS6UYooatFL8Aw").digest("hex"),
    });
    // The handshake itself is signed: a forged one is not answered.
    assert.equal(handle(delivery(body, { secret: "forged" })).kind, "rejected");
  });

  test("events map to the contract; unknown events are acknowledged with nothing to do", () => {
    const participant = (event: string, extra: Record<string, string>) => ({
      event,
      event_ts: NOW.getTime(),
      payload: {
        account_id: "a",
        object: {
          id: "81234567890",
          uuid: "u",
          host_id: "h",
          topic: "T",
          type: 5,
          start_time: "2026-12-01T10:00:00Z",
          timezone: "UTC",
          duration: 60,
          participant: {
            user_id: "1",
            user_name: "Ada Lovelace",
            email: "ada@example.com",
            registrant_id: "reg-abc",
            ...extra,
          },
        },
      },
    });
    const joined = handle(
      delivery(participant("webinar.participant_joined", { join_time: "2026-12-01T10:01:00Z" })),
    );
    assert.deepEqual(joined, {
      kind: "events",
      events: [
        {
          type: "participant.joined",
          providerWebinarId: "81234567890",
          providerRegistrantId: "reg-abc",
          email: "ada@example.com",
          name: "Ada Lovelace",
          at: new Date("2026-12-01T10:01:00Z"),
        },
      ],
    });
    const left = handle(
      delivery(participant("webinar.participant_left", { leave_time: "2026-12-01T10:31:00Z" })),
    );
    assert.equal((left as { events: WebhookEvent[] }).events[0]?.type, "participant.left");
    const cancelled = handle(delivery({ ...registrationCreated, event: "webinar.registration_cancelled" }));
    assert.deepEqual((cancelled as { events: WebhookEvent[] }).events, [
      {
        type: "registrant.cancelled",
        providerWebinarId: "81234567890",
        providerRegistrantId: "reg-abc",
        email: "ada@example.com",
      },
    ]);
    const ended = handle(
      delivery({ event: "webinar.ended", payload: { account_id: "a", object: { id: "81234567890" } } }),
    );
    assert.deepEqual((ended as { events: WebhookEvent[] }).events, [
      { type: "attendance.changed", providerWebinarId: "81234567890" },
    ]);
    assert.deepEqual(handle(delivery({ event: "meeting.started", payload: {} })), {
      kind: "events",
      events: [],
    });
    assert.equal(
      handle(delivery({ event: "webinar.registration_created", payload: { object: {} } })).kind,
      "rejected",
    );
    assert.equal(handle(delivery(null, { raw: "not json" })).kind, "rejected");
  });
});
