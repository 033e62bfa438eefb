// Shared by the conformance tests of the reference implementation: one simulator with two
// clients and a webhook receiver, and `call`, which validates every answer against the schema
// docs/provider-contract.openapi.json declares for that operation and status.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import { conformanceIssues } from "./http-contract-spec.ts";

export const WEBHOOK_SECRET = "whsec-conformance";

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  at: Date;
}

export const webinarInput = (title = "Conformance webinar") => ({
  title,
  description: "Checked against the document",
  startsAt: "2030-05-01T10:00:00Z",
  endsAt: "2030-05-01T11:00:00Z",
  timeZone: "Europe/Oslo",
  language: "en",
});

export async function startConformance() {
  const covered = new Set<string>();
  const received: Delivery[] = [];
  const receiverState = { failNext: 0 };
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks), at: new Date() });
      if (receiverState.failNext > 0) {
        receiverState.failNext -= 1;
        res.writeHead(500).end();
      } else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const addr = receiver.address();
  if (!addr || typeof addr === "string") throw new Error("receiver address");
  const sim: ContractSimulator = await startContractSimulator({
    clients: [
      { clientId: "client-a", clientSecret: "secret-a" },
      { clientId: "client-b", clientSecret: "secret-b" },
    ],
    webhook: { url: `http://127.0.0.1:${addr.port}/hook`, secret: WEBHOOK_SECRET },
  });

  /** One call to the contract, validated against the document. `path` is the document's template. */
  async function call(
    method: string,
    path: string,
    options: {
      params?: Record<string, string>;
      token?: string;
      json?: unknown;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      form?: string;
    } = {},
  ): Promise<Answer> {
    let url =
      sim.baseUrl + path.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(options.params?.[k] ?? ""));
    if (options.query) url += `?${new URLSearchParams(options.query)}`;
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = options.form;
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    const parsed = text === "" ? undefined : JSON.parse(text);
    const issues = conformanceIssues(method, path, res.status, parsed);
    assert.deepEqual(issues, [], `${method} ${path} → ${res.status} does not conform: ${text.slice(0, 300)}`);
    if (res.status < 300) covered.add(`${method} ${path}`);
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async function token(clientId = "client-a", secret = "secret-a"): Promise<string> {
    const res = await call("POST", "/oauth/token", {
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` },
      form: "grant_type=client_credentials",
    });
    assert.equal(res.status, 200);
    return res.body.access_token;
  }

  const knobs = (k: Record<string, unknown>) =>
    fetch(`${sim.url}/_sim/knobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(k),
    });

  return {
    sim,
    call,
    token,
    knobs,
    covered,
    received,
    receiverState,
    async close() {
      await sim.close();
      await new Promise((r) => receiver.close(r));
    },
  };
}
