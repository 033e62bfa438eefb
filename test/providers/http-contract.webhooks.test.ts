// Signed webhooks of the open contract: the adapter's verification (valid, tampered, wrong
// secret, too old, from the future, rotated secrets) and the mapping of the reference
// implementation's real deliveries to the provider contract's WebhookEvents.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import type { ProviderAccount, WebhookEvent, WebhookOutcome } from "../../src/providers/contract.ts";
import { createHttpContractProvider } from "../../src/providers/http-contract/adapter.ts";
import { verifyContractSignature } from "../../src/providers/http-contract/webhook.ts";
import { CONTRACT_DOC } from "../simulators/http-contract-spec.ts";
import { waitUntil } from "../webinars/fixtures.ts";

const WEBHOOK_SECRET = "whsec-0123456789";
const provider = createHttpContractProvider();
let sim: ContractSimulator;
let receiver: Server;
const outcomes: WebhookOutcome[] = [];

const account = (webhookSecret = WEBHOOK_SECRET): ProviderAccount => ({
  credentials: {
    clientId: Buffer.from("acme"),
    clientSecret: Buffer.from("s3cret"),
    webhookSecret: Buffer.from(webhookSecret),
  },
  settings: { baseUrl: sim.baseUrl },
});

const hmac = (secret: string, t: number, body: string) =>
  createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");

const registrationEvent = JSON.stringify({
  id: "evt_1",
  type: "registration.created",
  createdAt: "2030-03-02T10:00:01Z",
  webinarId: "web_1",
  data: {
    id: "reg_1",
    webinarId: "web_1",
    email: "ada@example.com",
    firstName: "Ada",
    lastName: "",
    company: null,
    jobTitle: null,
    status: "registered",
    joinUrl: "https://w.example/j/reg_1",
    createdAt: "2030-03-02T10:00:00Z",
    cancelledAt: null,
  },
});

function deliver(body: string, header: string | undefined, now = new Date(), secret = WEBHOOK_SECRET) {
  return provider.handleWebhook?.(
    account(secret),
    { headers: { "auditorium-signature": header }, query: {}, rawBody: Buffer.from(body) },
    { now, clientStates: [] },
  ) as WebhookOutcome;
}

before(async () => {
  sim = await startContractSimulator({ clients: [{ clientId: "acme", clientSecret: "s3cret" }] });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      const outcome = provider.handleWebhook?.(
        account(),
        { headers, query: {}, rawBody: Buffer.concat(chunks) },
        { now: new Date(), clientStates: [] },
      ) as WebhookOutcome;
      outcomes.push(outcome);
      res.writeHead(outcome.kind === "rejected" ? 401 : 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const { port } = receiver.address() as { port: number };
  await fetch(`${sim.url}/_sim/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/webhooks/cfg`, secret: WEBHOOK_SECRET }),
  });
});
after(async () => {
  await sim.close();
  await new Promise((r) => receiver.close(r));
});

describe("http-contract webhooks", () => {
  test("a valid signature yields the mapped event", () => {
    const t = Math.floor(Date.now() / 1000);
    const outcome = deliver(registrationEvent, `t=${t},v1=${hmac(WEBHOOK_SECRET, t, registrationEvent)}`);
    assert.deepEqual(outcome, {
      kind: "events",
      events: [
        {
          type: "registrant.upserted",
          providerWebinarId: "web_1",
          registrant: {
            providerRegistrantId: "reg_1",
            email: "ada@example.com",
            joinUrl: "https://w.example/j/reg_1",
            firstName: "Ada",
            lastName: null,
          },
        },
      ],
    });
  });

  test("tampered body, wrong secret, missing or malformed header: rejected", () => {
    const t = Math.floor(Date.now() / 1000);
    const good = `t=${t},v1=${hmac(WEBHOOK_SECRET, t, registrationEvent)}`;
    const tampered = registrationEvent.replace("ada@example.com", "eve@example.com");
    const cases: [string, string | undefined, RegExp][] = [
      [tampered, good, /does not match/],
      [registrationEvent, `t=${t},v1=${hmac("other-secret", t, registrationEvent)}`, /does not match/],
      [registrationEvent, `t=${t + 1},v1=${hmac(WEBHOOK_SECRET, t, registrationEvent)}`, /does not match/],
      [registrationEvent, undefined, /missing/],
      [registrationEvent, "v1=abc", /malformed/],
      [registrationEvent, `t=${t}`, /malformed/],
    ];
    for (const [body, header, reason] of cases) {
      const outcome = deliver(body, header);
      assert.equal(outcome.kind, "rejected", String(header));
      assert.match((outcome as { reason: string }).reason, reason);
    }
  });

  test("five minutes of tolerance either way, and no more", () => {
    const now = new Date();
    const t0 = Math.floor(now.getTime() / 1000);
    for (const [offset, ok] of [
      [-299, true],
      [299, true],
      [-301, false],
      [301, false],
      [-86_400, false],
    ] as const) {
      const t = t0 + offset;
      const outcome = deliver(
        registrationEvent,
        `t=${t},v1=${hmac(WEBHOOK_SECRET, t, registrationEvent)}`,
        now,
      );
      assert.equal(outcome.kind === "events", ok, `offset ${offset}`);
      if (!ok) assert.match((outcome as { reason: string }).reason, /tolerance/);
    }
  });

  test("the worked example published in the OpenAPI document verifies", () => {
    const param = CONTRACT_DOC.webhooks["attendance.updated"].post.parameters.find(
      (p: { name: string }) => p.name === "Auditorium-Signature",
    );
    const body = /raw body `([^`]+)`/.exec(param.description)?.[1];
    assert.ok(body, "the description carries the example body");
    const at = new Date(1_900_000_000 * 1000 + 10_000);
    assert.deepEqual(
      verifyContractSignature(Buffer.from("whsec_example"), param.example, Buffer.from(body), at),
      {
        ok: true,
      },
    );
  });

  test("rotation: any one of several v1 signatures may match", () => {
    const t = Math.floor(Date.now() / 1000);
    const header = `t=${t},v1=${hmac("old-secret", t, registrationEvent)},v1=${hmac(WEBHOOK_SECRET, t, registrationEvent)}`;
    assert.equal(deliver(registrationEvent, header).kind, "events");
  });

  test("a signed body that is not a contract event is rejected, not thrown", () => {
    const t = Math.floor(Date.now() / 1000);
    for (const body of ["not json", JSON.stringify({ id: "e", type: "webinar.exploded", webinarId: "w" })]) {
      const outcome = deliver(body, `t=${t},v1=${hmac(WEBHOOK_SECRET, t, body)}`);
      assert.equal(outcome.kind, "rejected");
    }
  });

  test("the reference implementation's real deliveries verify and map: created, cancelled, attendance", async () => {
    const created = await provider.createWebinar(account(), {
      title: "Hooked",
      description: "",
      startsAt: new Date("2030-06-01T12:00:00Z"),
      endsAt: new Date("2030-06-01T13:00:00Z"),
      timeZone: "UTC",
      language: "en",
    });
    const w = created.providerWebinarId;
    const reg = await provider.register(account(), w, {
      email: "hooked@example.com",
      firstName: "Hook",
      lastName: "Ed",
      company: null,
      jobTitle: null,
    });
    // Someone cancels directly at the service: only the webhook tells Auditorium.
    await fetch(`${sim.url}/_sim/webinars/${w}/registrations/${reg.providerRegistrantId}/cancel`, {
      method: "POST",
    });
    await fetch(`${sim.url}/_sim/webinars/${w}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendees: [{ email: "hooked@example.com", minutes: 5 }] }),
    });
    await waitUntil("three deliveries", async () => outcomes.length >= 3, 10_000);
    const events = outcomes.flatMap((o) => {
      assert.equal(o.kind, "events", JSON.stringify(o));
      return (o as { events: WebhookEvent[] }).events;
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ["registrant.upserted", "registrant.cancelled", "attendance.changed"],
    );
    assert.ok(events.every((e) => e.providerWebinarId === w));
    const cancelled = events[1] as Extract<WebhookEvent, { type: "registrant.cancelled" }>;
    assert.equal(cancelled.providerRegistrantId, reg.providerRegistrantId);
    assert.ok(sim.state.deliveries.every((d) => d.status === 200));
  });
});
