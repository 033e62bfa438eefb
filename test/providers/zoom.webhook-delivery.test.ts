import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import type { WebhookEvent } from "../../src/providers/contract.ts";
import { createZoomProvider } from "../../src/providers/zoom/adapter.ts";
import {
  person,
  startZoomSim,
  webinarSpec,
  ZOOM_TEST_ACCOUNT,
  zoomAccount,
} from "../simulators/zoom-harness.ts";

const zoom = createZoomProvider();
const account = zoomAccount();
const SECRET = ZOOM_TEST_ACCOUNT.webhookSecretToken;

describe("Zoom webhooks: delivered by the simulator", () => {
  const received: WebhookEvent[] = [];
  const rejected: string[] = [];
  // A stand-in for our webhook route: raw bytes in, the adapter's outcome out.
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      const out = zoom.handleWebhook?.(
        account,
        { headers, query: {}, rawBody: Buffer.concat(chunks) },
        { now: new Date(), clientStates: [] },
      );
      if (out?.kind === "respond") {
        res.writeHead(out.status, { "content-type": out.contentType }).end(out.body);
      } else if (out?.kind === "events") {
        received.push(...out.events);
        res.writeHead(200).end();
      } else {
        rejected.push(out?.reason ?? "no handler");
        res.writeHead(401).end();
      }
    });
  });

  after(() => new Promise<void>((r) => server.close(() => r())));

  test("the simulator validates the endpoint, then registrations, cancellations and a run arrive verified", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/zoom`;
    const sim = await startZoomSim();
    try {
      const put = async (secretToken: string) =>
        (
          await fetch(`${sim.url}/_sim/webhook`, {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ url, secretToken }),
          })
        ).json() as Promise<{ validated: boolean }>;
      assert.deepEqual(await put("some-other-secret"), { validated: false });
      assert.equal(rejected.length, 1);
      assert.deepEqual(await put(SECRET), { validated: true });

      const api = createZoomProvider({ apiUrl: sim.apiUrl, oauthUrl: sim.oauthUrl });
      const { providerWebinarId } = await api.createWebinar(account, webinarSpec());
      const ada = await api.register(account, providerWebinarId, person(1, "hook"));
      const bob = await api.register(account, providerWebinarId, person(2, "hook"));
      await api.cancelRegistration(account, providerWebinarId, bob);
      await fetch(`${sim.url}/_sim/webinars/${providerWebinarId}/run`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ attendees: [{ email: ada.email, minutes: 30, segments: 2 }] }),
      });
      const deliveries = (await (await fetch(`${sim.url}/_sim/webhook/deliveries`)).json()) as {
        event: string;
        status: number;
      }[];
      assert.ok(
        deliveries.slice(2).every((d) => d.status === 200),
        JSON.stringify(deliveries),
      );
      assert.equal(rejected.length, 1);
      const of = (type: string) => received.filter((e) => e.type === type);
      // Deliveries run concurrently, so their order is not asserted.
      const upserted = new Map(
        of("registrant.upserted").flatMap((e) =>
          e.type === "registrant.upserted" ? [[e.registrant.providerRegistrantId, e.registrant.joinUrl]] : [],
        ),
      );
      assert.deepEqual(
        upserted,
        new Map([
          [ada.providerRegistrantId, ada.joinUrl],
          [bob.providerRegistrantId, bob.joinUrl],
        ]),
      );
      assert.deepEqual(of("registrant.cancelled"), [
        {
          type: "registrant.cancelled",
          providerWebinarId,
          providerRegistrantId: bob.providerRegistrantId,
          email: bob.email,
        },
      ]);
      assert.equal(of("participant.joined").length, 2);
      assert.equal(of("participant.left").length, 2);
      for (const e of [...of("participant.joined"), ...of("participant.left")]) {
        assert.ok(e.type === "participant.joined" || e.type === "participant.left");
        assert.equal(e.providerRegistrantId, ada.providerRegistrantId);
        assert.equal(e.providerWebinarId, providerWebinarId);
      }
      assert.deepEqual(of("attendance.changed"), [{ type: "attendance.changed", providerWebinarId }]);
    } finally {
      await sim.close();
    }
  });
});
