// The open-contract adapter against the reference implementation over real HTTP: tokens (cache,
// single flight, renewal after a 401), idempotent create, cancel, attendance paging, 429, base
// URL refusal, error kinds and messages free of secrets and e-mail addresses.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { type ContractSimulator, startContractSimulator } from "../../simulators/http-contract/server.ts";
import { type ProviderAccount, ProviderError, type WebinarSpec } from "../../src/providers/contract.ts";
import { createHttpContractProvider } from "../../src/providers/http-contract/adapter.ts";
import { httpContractForm } from "../../src/providers/http-contract/form.ts";

const SECRET = "client-secret-do-not-leak";
let sim: ContractSimulator;
const provider = createHttpContractProvider();

const account = (
  over: { secret?: string; baseUrl?: string; webinarType?: string } = {},
): ProviderAccount => ({
  credentials: {
    clientId: Buffer.from("acme"),
    clientSecret: Buffer.from(over.secret ?? SECRET),
    webhookSecret: Buffer.from("whsec"),
  },
  settings: {
    baseUrl: over.baseUrl ?? sim.baseUrl,
    ...(over.webinarType ? { webinarType: over.webinarType } : {}),
  },
});

const spec = (title = "Adapter webinar"): WebinarSpec & { externalRef?: string } => ({
  title,
  description: "",
  startsAt: new Date("2030-06-01T12:00:00Z"),
  endsAt: new Date("2030-06-01T13:30:00Z"),
  timeZone: "Europe/Oslo",
  language: "en",
});

const person = (email: string) => ({
  email,
  firstName: "Ada",
  lastName: "Lovelace",
  company: null,
  jobTitle: null,
});
const tokenRequests = () => sim.state.requests.byRoute["POST /oauth/token"] ?? 0;
const knobs = (k: Record<string, unknown>) =>
  fetch(`${sim.url}/_sim/knobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(k),
  });

async function rejects(p: Promise<unknown>, kind: string): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} ProviderError`);
}

before(async () => {
  sim = await startContractSimulator({ clients: [{ clientId: "acme", clientSecret: SECRET }] });
});
after(() => sim.close());

describe("http-contract adapter against the reference implementation", () => {
  test("tokens: one request for many concurrent calls, reused, renewed once after a 401", async () => {
    const before = tokenRequests();
    const checks = await Promise.all(Array.from({ length: 10 }, () => provider.checkCredentials(account())));
    assert.ok(checks.every((c) => c.status === "healthy"));
    assert.equal(tokenRequests() - before, 1, "concurrent calls must share one token request");
    await provider.checkCredentials(account());
    assert.equal(tokenRequests() - before, 1, "a valid token is reused");
    await fetch(`${sim.url}/_sim/tokens/revoke`, { method: "POST" });
    assert.equal((await provider.checkCredentials(account())).status, "healthy");
    assert.equal(tokenRequests() - before, 2, "a 401 renews the token once");
  });

  test("a wrong secret is not authenticated, and the message carries no secret", async () => {
    const check = await provider.checkCredentials(account({ secret: "wrong-secret-value" }));
    assert.equal(check.status, "not_authenticated");
    assert.match(check.message, /invalid_client/);
    assert.ok(!check.message.includes("wrong-secret-value") && !check.message.includes(SECRET));
  });

  test("a token that expires is renewed ahead of time", async () => {
    await knobs({ tokenTtlSeconds: 30 }); // inside the one-minute early-renewal margin
    try {
      const fresh = createHttpContractProvider();
      const before = tokenRequests();
      await fresh.checkCredentials(account());
      await fresh.checkCredentials(account());
      assert.equal(tokenRequests() - before, 2);
    } finally {
      await knobs({ tokenTtlSeconds: 3600 });
    }
  });

  test("base URLs other than http(s) are refused, by the form and by the adapter, without a request", async () => {
    const calls = sim.state.requests.total;
    for (const bad of [
      "ftp://example.com/v1",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "http://u:p@example.com/v1",
      "not a url",
    ]) {
      assert.equal(httpContractForm.settings.safeParse({ baseUrl: bad }).success, false, bad);
      await rejects(provider.createWebinar(account({ baseUrl: bad }), spec()), "invalid");
    }
    assert.equal(sim.state.requests.total, calls);
    assert.ok(
      httpContractForm.settings.safeParse({ baseUrl: "https://partner.example.com/auditorium/v1" }).success,
    );
  });

  test("webinar type: the configured one is checked against the service's list and used", async () => {
    const wrong = await provider.checkCredentials(account({ webinarType: "galaxy" }));
    assert.equal(wrong.status, "unhealthy");
    assert.match(wrong.message, /settings\.webinarType/);
    assert.equal((await provider.checkCredentials(account({ webinarType: "town-hall" }))).status, "healthy");
    const made = await provider.createWebinar(account({ webinarType: "town-hall" }), spec());
    assert.equal(sim.state.webinars.get(made.providerWebinarId)?.type, "town-hall");
    assert.equal(provider.webinarTypes, undefined, "types are per account, not per provider kind");
  });

  test("create with a stable reference is idempotent; update and delete; deleting twice is fine", async () => {
    const withRef = { ...spec(), externalRef: "0195d1c2-aaaa" };
    const a = await provider.createWebinar(account(), withRef);
    const b = await provider.createWebinar(account(), withRef);
    assert.equal(a.providerWebinarId, b.providerWebinarId);
    assert.ok(a.joinUrl?.startsWith("https://"));
    await provider.updateWebinar(account(), a.providerWebinarId, {
      ...spec("Moved"),
      startsAt: new Date("2030-07-01T10:00:00Z"),
      endsAt: new Date("2030-07-01T11:00:00Z"),
    });
    const stored = sim.state.webinars.get(a.providerWebinarId);
    assert.equal(stored?.title, "Moved");
    assert.equal(stored?.startsAt, "2030-07-01T10:00:00.000Z");
    await provider.deleteWebinar(account(), a.providerWebinarId);
    await provider.deleteWebinar(account(), a.providerWebinarId);
    assert.equal(sim.state.webinars.get(a.providerWebinarId)?.deleted, true);
    await rejects(provider.updateWebinar(account(), a.providerWebinarId, spec()), "not_found");
  });

  test("register is idempotent by e-mail; an answer lost after commit is adopted by lookup; cancel follows", async () => {
    const { providerWebinarId: w } = await provider.createWebinar(account(), spec());
    const first = await provider.register(account(), w, person("Ada@Example.com"));
    const again = await provider.register(account(), w, person("ada@example.com"));
    assert.equal(again.providerRegistrantId, first.providerRegistrantId);
    assert.ok(first.joinUrl?.includes(first.providerRegistrantId));

    await knobs({ faultAfterCommitRate: 1 });
    const lost = await rejects(provider.register(account(), w, person("lost@example.com")), "transient");
    await knobs({ faultAfterCommitRate: 0 });
    assert.ok(!lost.message.includes("lost@example.com"));
    const adopted = await provider.findRegistrantByEmail?.(account(), w, "LOST@example.com");
    assert.ok(adopted, "the registration stored before the fault is found");
    assert.equal(sim.state.registrationsOf(w).filter((r) => r.email === "lost@example.com").length, 1);

    await provider.cancelRegistration(account(), w, {
      providerRegistrantId: first.providerRegistrantId,
      email: "ada@example.com",
    });
    await provider.cancelRegistration(account(), w, {
      providerRegistrantId: first.providerRegistrantId,
      email: "ada@example.com",
    });
    await provider.cancelRegistration(account(), w, {
      providerRegistrantId: "reg_unknown",
      email: "x@example.com",
    });
    assert.equal(
      sim.state.registrationsOf(w).find((r) => r.id === first.providerRegistrantId)?.status,
      "cancelled",
    );
    assert.equal(await provider.findRegistrantByEmail?.(account(), w, "ada@example.com"), null);
  });

  test("attendance pages through everyone; minutes from seconds; walk-ins keep their own id", async () => {
    const { providerWebinarId: w } = await provider.createWebinar(account(), spec());
    const registered = Array.from({ length: 440 }, (_, i) => `viewer${i}@example.com`);
    for (const email of registered.slice(0, 20)) await provider.register(account(), w, person(email));
    const attendees = [
      ...registered.map((email, i) => ({ email, minutes: i % 90, onDemandMinutes: i % 7 })),
      { email: "walkin@example.com", minutes: 33 },
    ];
    const run = await fetch(`${sim.url}/_sim/webinars/${w}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attendees }),
    });
    assert.equal(run.status, 200);
    const records = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await provider.listAttendance(account(), w, cursor);
      records.push(...page.records);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.equal(records.length, 441);
    assert.equal(new Set(records.map((r) => r.providerRegistrantId)).size, 441);
    const v = records.find((r) => r.email === "viewer37@example.com");
    assert.equal(v?.liveMinutes, 37);
    assert.equal(v?.onDemandMinutes, 37 % 7);
    assert.equal(v?.firstActivityAt?.toISOString(), "2030-06-01T12:00:00.000Z");
    const reg = records.find((r) => r.email === "viewer3@example.com");
    assert.ok(reg?.providerRegistrantId.startsWith("reg_"));
    assert.equal(reg?.firstName, "Ada");
    const walkIn = records.find((r) => r.email === "walkin@example.com");
    assert.match(walkIn?.providerRegistrantId ?? "", /^attendee:/);
  });

  test("429: rate_limited with Retry-After; quota_exceeded pauses the account", async () => {
    for (const [code, kind] of [
      ["rate_limited", "rate_limited"],
      ["quota_exceeded", "quota"],
    ] as const) {
      await knobs({ rateLimit: { limit: 0, windowMs: 4000 }, rateLimitCode: code });
      sim.state.windows.clear();
      try {
        const err = await rejects(provider.createWebinar(account(), spec()), kind);
        assert.equal(err.details.status, 429);
        assert.ok(
          err.details.retryAfterMs !== undefined &&
            err.details.retryAfterMs >= 1000 &&
            err.details.retryAfterMs <= 4000,
        );
        assert.ok(err.retryable);
      } finally {
        await knobs({ rateLimit: null, rateLimitCode: "rate_limited" });
      }
    }
  });

  test("refused data is invalid (naming the field), 5xx and resets are transient", async () => {
    const { providerWebinarId: w } = await provider.createWebinar(account(), spec());
    const bad = await rejects(provider.register(account(), w, person("not-an-email")), "invalid");
    assert.match(bad.message, /validation_failed: email/);
    await rejects(
      provider.createWebinar(account(), { ...spec(), endsAt: new Date("2030-06-01T11:00:00Z") }),
      "invalid",
    );
    await knobs({ faultBeforeCommitRate: 1 });
    try {
      await rejects(provider.register(account(), w, person("x1@example.com")), "transient");
    } finally {
      await knobs({ faultBeforeCommitRate: 0 });
    }
    assert.equal(sim.state.registrationsOf(w).length, 0);
  });

  test("an answer that does not match the contract is transient, and says where", async () => {
    const odd = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url?.endsWith("/oauth/token"))
        res.end(JSON.stringify({ access_token: "t", token_type: "bearer", expires_in: 3600 }));
      else res.end(JSON.stringify({ data: [{ id: 5, label: "x" }] }));
    });
    await new Promise<void>((r) => odd.listen(0, "127.0.0.1", r));
    const port = (odd.address() as { port: number }).port;
    try {
      const check = await provider.checkCredentials(account({ baseUrl: `http://127.0.0.1:${port}/v1` }));
      assert.equal(check.status, "unhealthy");
      assert.match(check.message, /unexpected shape \(data\.0\.id/);
    } finally {
      await new Promise((r) => odd.close(r));
    }
  });

  test("erasure reaches the service", async () => {
    const { providerWebinarId: w } = await provider.createWebinar(account(), spec());
    await provider.register(account(), w, person("forget-me@example.com"));
    await provider.erasePerson?.(account(), "Forget-Me@example.com");
    assert.equal(sim.state.registrationsOf(w).length, 0);
  });
});
