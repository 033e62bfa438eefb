// The adapter's zod schemas (src/providers/http-contract/schemas.ts) and the published document
// must agree: every example of the document parses with both, and removing a required field or
// giving a field a wrong type is refused by both — so a service that satisfies the document is
// understood by the adapter, and one that does not is refused by it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "zod";
import * as s from "../../src/providers/http-contract/schemas.ts";
import { CONTRACT_DOC, schemaOf } from "../simulators/http-contract-spec.ts";

const PAIRS: [string, z.ZodType][] = [
  ["TokenResponse", s.contractToken],
  ["Error", s.contractError],
  ["OAuthError", s.contractOAuthError],
  ["WebinarTypeList", s.contractWebinarTypes],
  ["Webinar", s.contractWebinar],
  ["Registration", s.contractRegistration],
  ["RegistrationPage", s.contractRegistrationPage],
  ["Attendance", s.contractAttendance],
  ["AttendancePage", s.contractAttendancePage],
  ["ErasureResult", s.contractErasure],
  ["RegistrationEvent", s.contractWebhookEvent],
  ["AttendanceEvent", s.contractWebhookEvent],
];

const schemas = CONTRACT_DOC.components.schemas as Record<string, any>;

test("every answer schema of the document has an adapter schema, and every example parses with both", () => {
  for (const [name, adapter] of PAIRS) {
    const examples = schemas[name].examples as unknown[];
    assert.ok(examples.length > 0, `${name} has no example`);
    for (const ex of examples) {
      assert.ok(schemaOf(name).safeParse(ex).success, `${name} example fails the document`);
      const r = adapter.safeParse(ex);
      assert.ok(r.success, `${name} example fails the adapter: ${JSON.stringify(r.error?.issues)}`);
    }
  }
});

test("document and adapter agree on required fields and on wrong types", () => {
  let checked = 0;
  for (const [name, adapter] of PAIRS) {
    const example = schemas[name].examples[0] as Record<string, unknown>;
    const props = schemas[name].properties as Record<string, any>;
    for (const field of schemas[name].required as string[]) {
      const without = { ...example };
      delete without[field];
      assert.equal(schemaOf(name).safeParse(without).success, false, `${name} without ${field}: document`);
      assert.equal(adapter.safeParse(without).success, false, `${name} without ${field}: adapter`);
      checked += 1;
    }
    for (const field of Object.keys(props)) {
      for (const wrong of [{ bogus: true }, -1, "", true]) {
        const mutated = { ...example, [field]: wrong };
        const doc = schemaOf(name).safeParse(mutated).success;
        const ours = adapter.safeParse(mutated).success;
        // The adapter may be more lenient only where leniency is harmless (optional message fields).
        if (doc !== ours)
          assert.fail(`${name}.${field} = ${JSON.stringify(wrong)}: document ${doc}, adapter ${ours}`);
        checked += 1;
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} cases`);
});

test("the document is OpenAPI 3.1 with the contract's operations, webhooks and error body", () => {
  assert.equal(CONTRACT_DOC.openapi, "3.1.0");
  assert.deepEqual(Object.keys(CONTRACT_DOC.webhooks).sort(), [
    "attendance.updated",
    "registration.cancelled",
    "registration.created",
  ]);
  for (const path of [
    "/oauth/token",
    "/webinar-types",
    "/webinars",
    "/webinars/{webinarId}",
    "/webinars/{webinarId}/registrations",
    "/webinars/{webinarId}/registrations/{registrationId}",
    "/webinars/{webinarId}/attendance",
    "/erasures",
  ])
    assert.ok(CONTRACT_DOC.paths[path], path);
  // Every operation documents 429 (rate limiting) and an example for every JSON answer.
  for (const [path, item] of Object.entries(CONTRACT_DOC.paths as Record<string, any>)) {
    for (const m of ["get", "post", "put", "delete"]) {
      const op = item[m];
      if (!op) continue;
      assert.ok(op.responses["429"], `${m} ${path} lacks 429`);
      for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
        const content = res.content?.["application/json"];
        if (content) assert.ok(content.example !== undefined, `${m} ${path} ${status} lacks an example`);
      }
    }
  }
});
