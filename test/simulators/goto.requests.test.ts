// GoTo's OpenAPI request schemas against what the adapter actually sends (create, update,
// register), recorded through the adapter's injectable fetch on the way to the simulator.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GotoSimulator } from "../../simulators/goto/server.ts";
import { createGotoProvider } from "../../src/providers/goto/adapter.ts";
import { gotoAccount, startGoto } from "./goto-harness.ts";
import { check, loadGotoSpec, requestSchema } from "./goto-spec.ts";
import type { Spec } from "./on24-spec.ts";

const W = "/organizers/{organizerKey}/webinars";
let spec: Spec;
let s: GotoSimulator;
before(async () => {
  spec = loadGotoSpec(); // fails with a clear message when the document is missing
  s = await startGoto();
});
after(() => s?.close());

describe("the adapter's requests", () => {
  test("create, update and register bodies conform to WebinarReqCreate, WebinarReqUpdate and RegistrantFields", async () => {
    const sent: { method: string; url: string; body: string | undefined }[] = [];
    const recording: typeof fetch = (input, init) => {
      sent.push({
        method: init?.method ?? "GET",
        url: String(input),
        body: init?.body as string | undefined,
      });
      return fetch(input, init);
    };
    const p = createGotoProvider({ apiUrl: s.apiUrl, authUrl: s.authUrl, fetch: recording });
    const startsAt = new Date(Date.now() + 5 * 86_400_000);
    const webinarSpec = {
      title: "T",
      description: "D",
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3600_000),
      timeZone: "Europe/Oslo",
      language: "fr",
    };
    const w = await p.createWebinar(gotoAccount(), webinarSpec);
    await p.updateWebinar(gotoAccount(), w.providerWebinarId, { ...webinarSpec, title: "T2" });
    await p.register(gotoAccount(), w.providerWebinarId, {
      email: "r@example.com",
      firstName: "R",
      lastName: "S",
      company: "C",
      jobTitle: "J",
    });
    const body = (method: string, suffix: string) => {
      const hit = sent.find((x) => x.method === method && x.url.split("?")[0]?.endsWith(suffix));
      assert.ok(hit?.body, `${method} …${suffix} was sent`);
      return JSON.parse(hit.body);
    };
    for (const [p2, method, value] of [
      [W, "POST", body("POST", "/webinars")],
      [`${W}/{webinarKey}`, "PUT", body("PUT", `/webinars/${w.providerWebinarId}`)],
      [`${W}/{webinarKey}/registrants`, "POST", body("POST", "/registrants")],
    ] as const) {
      const errors = check(spec, requestSchema(spec, p2, method), value);
      assert.deepEqual(errors, [], `${method} ${p2} request:\n${errors.join("\n")}`);
    }
  });
});
