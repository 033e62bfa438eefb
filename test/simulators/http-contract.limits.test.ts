// Limits, faults and webhooks of the reference implementation, every answer validated against
// docs/provider-contract.openapi.json: 429 with Retry-After, faults before and after commit with
// idempotent repeats, and signed webhook deliveries that the adapter's verifier accepts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { verifyContractSignature } from "../../src/providers/http-contract/webhook.ts";
import { waitUntil } from "../webinars/fixtures.ts";
import { type Answer, startConformance, WEBHOOK_SECRET, webinarInput } from "./http-contract-harness.ts";
import { schemaOf } from "./http-contract-spec.ts";

let h: Awaited<ReturnType<typeof startConformance>>;
const call: typeof h.call = (...args) => h.call(...args);
const knobs: typeof h.knobs = (k) => h.knobs(k);
let tok: string;
let webinarId: string;
before(async () => {
  h = await startConformance();
  tok = await h.token();
  webinarId = (await call("POST", "/webinars", { token: tok, json: webinarInput() })).body.id;
});
after(() => h.close());

describe("open contract: limits, faults and webhooks of the reference implementation", () => {
  test("429 with Retry-After when over the limit; quota_exceeded variant", async () => {
    for (const code of ["rate_limited", "quota_exceeded"]) {
      await knobs({ rateLimit: { limit: 2, windowMs: 5000 }, rateLimitCode: code });
      h.sim.state.windows.clear();
      try {
        const answers = [];
        for (let i = 0; i < 3; i++) answers.push(await call("GET", "/webinar-types", { token: tok }));
        assert.deepEqual(
          answers.map((a) => a.status),
          [200, 200, 429],
        );
        const limited = answers[2] as Answer;
        assert.equal(limited.body.error.code, code);
        const retryAfter = Number(limited.headers.get("retry-after"));
        assert.ok(
          Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 5,
          `Retry-After ${retryAfter}`,
        );
      } finally {
        await knobs({ rateLimit: null, rateLimitCode: "rate_limited" });
      }
    }
  });

  test("faults: before commit nothing is stored; after commit it is, and the repeat returns it (no duplicate)", async () => {
    const path = "/webinars/{webinarId}/registrations";
    const count = () => h.sim.state.registrationsOf(webinarId).length;
    const attempt = async (email: string) => {
      try {
        return (
          await call("POST", path, {
            token: tok,
            params: { webinarId },
            json: { email, firstName: "F", lastName: "L" },
          })
        ).status;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        return 0; // connection reset: no answer at all
      }
    };
    await knobs({ faultBeforeCommitRate: 1 });
    const n0 = count();
    const failed = await attempt("fault-before@example.com");
    await knobs({ faultBeforeCommitRate: 0 });
    assert.ok(failed === 0 || failed === 503, `status ${failed}`);
    assert.equal(count(), n0);
    await knobs({ faultAfterCommitRate: 1 });
    const lost = await attempt("fault-after@example.com");
    await knobs({ faultAfterCommitRate: 0 });
    assert.ok(lost === 0 || lost === 500, `status ${lost}`);
    assert.equal(count(), n0 + 1, "an after-commit fault stores the registration");
    assert.equal(await attempt("fault-after@example.com"), 200);
    assert.equal(count(), n0 + 1);
  });

  test("signed webhooks: every delivery conforms and verifies; a failed delivery is retried with the same id", async () => {
    const path = "/webinars/{webinarId}/registrations";
    const reg = await call("POST", path, {
      token: tok,
      params: { webinarId },
      json: { email: "hooked@example.com", firstName: "H", lastName: "K" },
    });
    await call("DELETE", `${path}/{registrationId}`, {
      token: tok,
      params: { webinarId, registrationId: reg.body.id },
    });
    await fetch(`${h.sim.url}/_sim/webinars/${webinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendees: [{ email: "hooked@example.com", minutes: 3 }] }),
    });
    await waitUntil("attendance.updated delivered", async () =>
      h.received.some((d) => JSON.parse(d.raw.toString()).type === "attendance.updated"),
    );
    const types = new Set<string>();
    for (const d of h.received) {
      const body = JSON.parse(d.raw.toString());
      types.add(body.type);
      const r = schemaOf("WebhookEvent").safeParse(body);
      assert.ok(r.success, JSON.stringify(r.error?.issues));
      const header = String(d.headers["auditorium-signature"]);
      assert.match(header, /^t=\d+(,v1=[0-9a-f]{64})+$/);
      assert.deepEqual(verifyContractSignature(Buffer.from(WEBHOOK_SECRET), header, d.raw, d.at), {
        ok: true,
      });
      assert.equal(verifyContractSignature(Buffer.from("other"), header, d.raw, d.at).ok, false);
    }
    assert.deepEqual([...types].sort(), [
      "attendance.updated",
      "registration.cancelled",
      "registration.created",
    ]);
    h.receiverState.failNext = 1;
    const mark = h.received.length;
    await call("POST", "/webinars/{webinarId}/registrations", {
      token: tok,
      params: { webinarId },
      json: { email: "retried@example.com", firstName: "R", lastName: "T" },
    });
    await waitUntil("delivery retried", async () => h.received.length >= mark + 2);
    const [a, b] = h.received.slice(mark).map((d) => JSON.parse(d.raw.toString()).id);
    assert.equal(a, b);
  });
});
