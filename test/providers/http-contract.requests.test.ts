// The request side of the contract: every request the adapter sends to the reference
// implementation — method, path, headers and body — is one the OpenAPI document declares, with a
// body that validates against the operation's request schema. The adapter's fetch is the real
// fetch, recorded on the way through.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import { type ProviderAccount, ProviderError } from "../../src/providers/contract.ts";
import { createHttpContractProvider } from "../../src/providers/http-contract/adapter.ts";
import { CONTRACT_DOC, schemaOf } from "../simulators/http-contract-spec.ts";

interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string | undefined;
}
const sent: Sent[] = [];
let sim: ContractSimulator;

const recordingFetch: typeof fetch = async (input, init) => {
  const url = new URL(String(input));
  sent.push({
    method: init?.method ?? "GET",
    path: url.pathname.replace(/^\/v1/, ""),
    query: url.searchParams,
    headers: new Headers(init?.headers),
    body: typeof init?.body === "string" ? init.body : undefined,
  });
  return fetch(input, init);
};

const account = (): ProviderAccount => ({
  credentials: {
    clientId: Buffer.from("acme"),
    clientSecret: Buffer.from("s3cret"),
    webhookSecret: Buffer.from("whsec"),
  },
  settings: { baseUrl: sim.baseUrl, webinarType: "standard" },
});

/** The document's path template matching a concrete path, e.g. /webinars/{webinarId}. */
function templateOf(path: string): string | undefined {
  return Object.keys(CONTRACT_DOC.paths).find((t) =>
    new RegExp(`^${t.replace(/\{\w+\}/g, "[^/]+")}$`).test(path),
  );
}

before(async () => {
  sim = await startContractSimulator({ clients: [{ clientId: "acme", clientSecret: "s3cret" }] });
});
after(() => sim.close());

test("every request the adapter sends is declared by the document and its body validates", async () => {
  const provider = createHttpContractProvider({ fetch: recordingFetch });
  const a = account();
  assert.equal((await provider.checkCredentials(a)).status, "healthy");
  const spec = {
    title: "Requests",
    description: "Checked",
    startsAt: new Date("2030-06-01T12:00:00Z"),
    endsAt: new Date("2030-06-01T13:00:00Z"),
    timeZone: "Europe/Oslo",
    language: "nb",
    externalRef: "ref-1",
  };
  const { providerWebinarId: w } = await provider.createWebinar(a, spec);
  await provider.updateWebinar(a, w, { ...spec, title: "Requests, moved" });
  const r = await provider.register(a, w, {
    email: "req@example.com",
    firstName: "Re",
    lastName: "Quest",
    company: "Acme",
    jobTitle: null,
  });
  await provider.findRegistrantByEmail?.(a, w, "req@example.com");
  await provider.listAttendance(a, w, null);
  await provider.cancelRegistration(a, w, {
    providerRegistrantId: r.providerRegistrantId,
    email: "req@example.com",
  });
  await provider.erasePerson?.(a, "req@example.com");
  await provider.deleteWebinar(a, w);

  const ops = new Set<string>();
  for (const req of sent) {
    const template = templateOf(req.path);
    assert.ok(template, `undeclared path ${req.path}`);
    const op = CONTRACT_DOC.paths[template][req.method.toLowerCase()];
    assert.ok(op, `undeclared operation ${req.method} ${template}`);
    ops.add(`${req.method} ${template}`);
    if (template === "/oauth/token") {
      assert.match(req.headers.get("authorization") ?? "", /^Basic /);
      assert.equal(req.headers.get("content-type"), "application/x-www-form-urlencoded");
      assert.ok(
        schemaOf("TokenRequest").safeParse(Object.fromEntries(new URLSearchParams(req.body))).success,
      );
      continue;
    }
    assert.match(req.headers.get("authorization") ?? "", /^Bearer \S+$/);
    const declared = new Set(
      [...(CONTRACT_DOC.paths[template].parameters ?? []), ...(op.parameters ?? [])]
        .filter((p: { in: string }) => p.in === "query")
        .map((p: { name: string }) => p.name),
    );
    for (const name of req.query.keys())
      assert.ok(declared.has(name), `undeclared query ${name} on ${template}`);
    const bodySchema: string | undefined = op.requestBody?.content?.["application/json"]?.schema?.$ref
      ?.split("/")
      .pop();
    if (bodySchema) {
      assert.equal(req.headers.get("content-type"), "application/json");
      const parsed = schemaOf(bodySchema).safeParse(JSON.parse(req.body ?? "null"));
      assert.ok(parsed.success, `${req.method} ${template}: ${JSON.stringify(parsed.error?.issues)}`);
    } else assert.equal(req.body, undefined, `${req.method} ${template} sends a body`);
    const key = req.headers.get("idempotency-key");
    if (key !== null) {
      const names = (op.parameters ?? []).map((p: { name: string }) => p.name);
      assert.ok(names.includes("Idempotency-Key"), `Idempotency-Key on ${template}`);
    }
  }
  const create = sent.find((s) => s.method === "POST" && s.path === "/webinars");
  assert.equal(create?.headers.get("idempotency-key"), "webinar:ref-1");
  assert.equal(JSON.parse(create?.body ?? "{}").type, "standard");
  assert.equal(ops.size, 10, [...ops].join(", "));
});

test("a service that does not answer in time is a transient failure", async () => {
  await fetch(`${sim.url}/_sim/knobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ latencyMs: 1500 }),
  });
  try {
    const slow = createHttpContractProvider({ timeoutMs: 300 });
    await assert.rejects(slow.listAttendance(account(), "web_x", null), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.kind, "transient");
      assert.match(err.message, /timed out after 300 ms/);
      return true;
    });
  } finally {
    await fetch(`${sim.url}/_sim/knobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ latencyMs: 0 }),
    });
  }
});
