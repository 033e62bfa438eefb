import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { ProviderError } from "../../src/providers/contract.ts";
import { createZoomProvider } from "../../src/providers/zoom/adapter.ts";
import { accountKey, ZoomTokenManager } from "../../src/providers/zoom/token.ts";
import {
  person,
  startZoomSim,
  webinarSpec,
  ZOOM_TEST_ACCOUNT,
  zoomAccount,
} from "../simulators/zoom-harness.ts";

const sim = await startZoomSim();
after(() => sim.close());

const account = zoomAccount();
const fresh = () => createZoomProvider({ apiUrl: sim.apiUrl, oauthUrl: sim.oauthUrl });
async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

beforeEach(() => sim.state.reset());

describe("Zoom adapter: limits and faults", () => {
  test("429 with Retry-After is rate_limited with the delay", async () => {
    sim.state.setKnobs({ rateLimits: { light: 1, medium: 60, heavy: 40 } });
    const zoom = fresh();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 3 }, () => zoom.createWebinar(account, webinarSpec())),
    );
    const refused = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason as ProviderError);
    assert.ok(refused.length >= 1);
    for (const err of refused) {
      assert.equal(err.kind, "rate_limited");
      assert.equal(err.details.retryAfterMs, 1000);
      assert.equal(err.retryable, true);
    }
  });

  test("the per-registrant daily cap: a known person is adopted, an unknown one waits for 00:00 UTC", async () => {
    sim.state.setKnobs({ registrantDailyCap: 2 });
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    const first = await zoom.register(account, providerWebinarId, person(1, "cap"));
    await zoom.register(account, providerWebinarId, person(1, "cap"));
    const third = await zoom.register(account, providerWebinarId, person(1, "cap"));
    assert.equal(third.providerRegistrantId, first.providerRegistrantId);
    assert.equal(sim.state.requests.byEndpoint["GET /webinars/{webinarId}/registrants"], 1);

    sim.state.setKnobs({ registrantDailyCap: 0 });
    const err = await rejection(zoom.register(account, providerWebinarId, person(2, "cap")));
    assert.equal(err.kind, "rate_limited");
    const d = new Date();
    const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - d.getTime();
    assert.ok(Math.abs((err.details.retryAfterMs ?? 0) - midnight) < 5000, String(err.details.retryAfterMs));
    assert.ok(!err.message.includes("cap2@example.com"), err.message);
    assert.match(err.message, /<email>/);
    // In a batch the capped person refuses the whole call: nobody is reported, so everyone goes one by one.
    const batch = await zoom.bulkRegister?.(account, providerWebinarId, [person(3, "cap"), person(4, "cap")]);
    assert.deepEqual(batch, []);
  });

  test("a fault after Zoom applied a registration is transient, and the registrant can be found", async () => {
    const zoom = fresh();
    const { providerWebinarId } = await zoom.createWebinar(account, webinarSpec());
    sim.state.setKnobs({ faultAfterCommitRate: 1, faultKinds: ["500"] });
    const err = await rejection(zoom.register(account, providerWebinarId, person(1, "fault")));
    assert.equal(err.kind, "transient");
    sim.state.setKnobs({ faultAfterCommitRate: 0, faultRate: 1, faultKinds: ["reset"] });
    const reset = await rejection(zoom.register(account, providerWebinarId, person(2, "fault")));
    assert.equal(reset.kind, "transient");
    sim.state.setKnobs({ faultRate: 0 });
    const found = await zoom.findRegistrantByEmail?.(account, providerWebinarId, "fault1@example.com");
    assert.ok(found?.joinUrl);
    assert.equal(await zoom.findRegistrantByEmail?.(account, providerWebinarId, "fault2@example.com"), null);
  });

  test("the token cache is keyed by a hash of the credentials, never by a secret", async () => {
    const tokens = new ZoomTokenManager({ oauthUrl: sim.oauthUrl, timeoutMs: 5000, fetch });
    await tokens.get(account);
    const key = accountKey(account);
    assert.match(key, /^[0-9a-f]{64}$/);
    const keys = [...(tokens as unknown as { tokens: Map<string, unknown> }).tokens.keys()];
    assert.deepEqual(keys, [key]);
    for (const k of keys) assert.ok(!k.includes(ZOOM_TEST_ACCOUNT.clientSecret));
    // Another secret is another account: its token is not reused.
    assert.notEqual(accountKey(zoomAccount({ clientSecret: "other" })), key);
  });
});
