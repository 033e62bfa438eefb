// The GoTo adapter against the GoTo simulator (a real HTTP server): OAuth refresh and expiry,
// 403 auth vs 403 permission, 409 adoption, int64 keys above 2^53, attendance sums, 429.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { GotoSimulator } from "../../simulators/goto/server.ts";
import { ProviderError, type WebinarSpec } from "../../src/providers/contract.ts";
import { createGotoProvider } from "../../src/providers/goto/adapter.ts";
import { parseJsonKeepingBigInts } from "../../src/providers/goto/json.ts";
import {
  GOTO_ACCOUNT,
  GOTO_OTHER_ACCOUNT,
  gotoAccount,
  sim,
  simRegistrants,
  startGoto,
  tokenExchanges,
} from "../simulators/goto-harness.ts";

let s: GotoSimulator;
before(async () => {
  s = await startGoto();
});
after(() => s.close());
beforeEach(() => sim(s, "POST", "/reset"));

const provider = () => createGotoProvider({ apiUrl: s.apiUrl, authUrl: s.authUrl });
const account = () => gotoAccount();

function spec(overrides: Partial<WebinarSpec> = {}): WebinarSpec {
  const startsAt = new Date(Date.now() + 7 * 86_400_000);
  return {
    title: "Quarterly update",
    description: "What changed",
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3600_000),
    timeZone: "Europe/Oslo",
    language: "de",
    ...overrides,
  };
}

const person = (email: string) => ({
  email,
  firstName: "Ada",
  lastName: "Lovelace",
  company: "Acme",
  jobTitle: "CTO",
});

async function rejectsWith(p: Promise<unknown>, kind: ProviderError["kind"]): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} ProviderError`);
}

describe("int64 keys", () => {
  test("integer literals beyond 2^53 become exact strings; everything else parses as JSON.parse does", () => {
    const text =
      '{"a":9007199254740993,"b":[-9223372036854775807,12,1.5e3],"c":"9007199254740993 \\" 99999999999999999","d":2.5}';
    const v = parseJsonKeepingBigInts(text) as Record<string, unknown>;
    assert.equal(v.a, "9007199254740993");
    assert.deepEqual(v.b, ["-9223372036854775807", 12, 1500]);
    assert.equal(v.c, '9007199254740993 " 99999999999999999');
    assert.equal(v.d, 2.5);
    assert.notEqual(String(JSON.parse(text).a), "9007199254740993", "JSON.parse would have rounded it");
  });

  test("webinar, registrant and organizer keys above 2^53 survive every round trip", async () => {
    const p = provider();
    const w = await p.createWebinar(account(), spec());
    assert.ok(BigInt(w.providerWebinarId) > 2n ** 53n);
    assert.equal(w.joinUrl, null);
    const r = await p.register(account(), w.providerWebinarId, person("ada@example.com"));
    assert.ok(BigInt(r.providerRegistrantId) > 2n ** 53n);
    assert.match(r.joinUrl ?? "", new RegExp(`/join/${w.providerWebinarId}/${r.providerRegistrantId}$`));
    const [held] = await simRegistrants(s, w.providerWebinarId);
    assert.equal(held?.registrantKey, r.providerRegistrantId, "the simulator's key, digit for digit");
    // Follow-up calls by these keys would 404 if a key had been rounded.
    await p.updateWebinar(account(), w.providerWebinarId, spec({ title: "Moved" }));
    assert.equal((await sim(s, "GET", `/webinars/${w.providerWebinarId}`)).subject, "Moved");
    await p.cancelRegistration(account(), w.providerWebinarId, r);
    assert.equal((await simRegistrants(s, w.providerWebinarId))[0]?.status, "cancelled");
  });
});

describe("webinars and registrations", () => {
  test("create sends GoTo's fields; update replaces; delete cancels, and a second delete is success", async () => {
    const p = provider();
    const w = await p.createWebinar(account(), spec({ title: "x".repeat(300) }));
    const held = await sim(s, "GET", `/webinars/${w.providerWebinarId}`);
    assert.equal(held.subject.length, 128);
    assert.equal(held.locale, "de_DE");
    assert.equal(held.timeZone, "Europe/Oslo");
    assert.equal(held.type, "single_session");
    await p.deleteWebinar(account(), w.providerWebinarId);
    assert.equal((await sim(s, "GET", `/webinars/${w.providerWebinarId}`)).exists, false);
    await p.deleteWebinar(account(), w.providerWebinarId);
  });

  test("webinar types: single session and sequence are offered and honoured; series is refused clearly", async () => {
    const p = provider();
    assert.deepEqual(
      p.webinarTypes?.().map((t) => t.id),
      ["single_session", "sequence"],
    );
    const seq = await p.createWebinar(account(), spec({ webinarType: "sequence" }));
    const held = await sim(s, "GET", `/webinars/${seq.providerWebinarId}`);
    assert.equal(held.type, "sequence");
    assert.equal(held.times.length, 1);
    await p.updateWebinar(
      account(),
      seq.providerWebinarId,
      spec({ webinarType: "sequence", title: "Seq 2" }),
    );
    const err = await rejectsWith(p.createWebinar(account(), spec({ webinarType: "series" })), "invalid");
    assert.match(err.message, /two or more meeting times/);
  });

  test("a duplicate email (409) is looked up and adopted, never registered twice", async () => {
    const p = provider();
    const w = await p.createWebinar(account(), spec());
    const first = await p.register(account(), w.providerWebinarId, person("dup@example.com"));
    const again = await p.register(account(), w.providerWebinarId, person("DUP@example.com"));
    assert.equal(again.providerRegistrantId, first.providerRegistrantId);
    assert.equal(again.joinUrl, first.joinUrl);
    const rows = await simRegistrants(s, w.providerWebinarId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.createdCount, 1);
    const byEmail = await p.findRegistrantByEmail?.(account(), w.providerWebinarId, "dup@example.com");
    assert.equal(byEmail?.providerRegistrantId, first.providerRegistrantId);
    assert.equal(await p.findRegistrantByEmail?.(account(), w.providerWebinarId, "nobody@example.com"), null);
  });

  test("cancelling twice, or by email only, is success", async () => {
    const p = provider();
    const w = await p.createWebinar(account(), spec());
    const r = await p.register(account(), w.providerWebinarId, person("c@example.com"));
    await p.cancelRegistration(account(), w.providerWebinarId, r);
    await p.cancelRegistration(account(), w.providerWebinarId, r);
    const r2 = await p.register(account(), w.providerWebinarId, person("d@example.com"));
    await p.cancelRegistration(account(), w.providerWebinarId, {
      providerRegistrantId: "",
      email: "d@example.com",
    });
    const rows = await simRegistrants(s, w.providerWebinarId);
    assert.deepEqual(
      rows.map((x) => x.status),
      ["cancelled", "cancelled"],
    );
    assert.ok(rows.some((x) => x.registrantKey === r2.providerRegistrantId));
  });

  test("erasure deletes the registrant in each webinar; a webinar in session keeps it, and the result says so", async () => {
    const p = provider();
    const future = await p.createWebinar(account(), spec());
    const live = await p.createWebinar(account(), spec());
    const other = await p.createWebinar(account(), spec());
    const a = await p.register(account(), future.providerWebinarId, person("erase-me@example.com"));
    await p.register(account(), live.providerWebinarId, person("erase-me@example.com"));
    await p.register(account(), other.providerWebinarId, person("stay@example.com"));
    await sim(s, "POST", `/webinars/${live.providerWebinarId}/in-session`, { inSession: true });
    const result = await p.erasePerson?.(account(), "erase-me@example.com", [
      { providerWebinarId: future.providerWebinarId, providerRegistrantId: a.providerRegistrantId },
      // No key came back for this one: looked up by address.
      { providerWebinarId: live.providerWebinarId, providerRegistrantId: null },
      // Nothing of the person here: success.
      { providerWebinarId: other.providerWebinarId, providerRegistrantId: null },
    ]);
    assert.equal((await simRegistrants(s, future.providerWebinarId))[0]?.status, "cancelled", "deleted");
    assert.equal((await simRegistrants(s, live.providerWebinarId))[0]?.status, "registered", "GoTo refused");
    assert.equal((await simRegistrants(s, other.providerWebinarId))[0]?.status, "registered");
    assert.equal(result?.retained.length, 2, JSON.stringify(result));
    assert.match(result?.retained[0] ?? "", /stays in 1 webinar\(s\)/);
    assert.match(result?.retained[1] ?? "", /attendee reports/);
    assert.ok(!JSON.stringify(result).includes("erase-me"), "no address in the result");
    // Again (a retry after a lost answer): the deleted one answers 404, which is success.
    await p.erasePerson?.(account(), "erase-me@example.com", [
      { providerWebinarId: future.providerWebinarId, providerRegistrantId: a.providerRegistrantId },
    ]);
  });
});

describe("OAuth", () => {
  test("one token exchange serves many calls; concurrent first callers share it", async () => {
    const p = provider();
    await Promise.all(Array.from({ length: 6 }, () => p.checkCredentials(account())));
    assert.equal(await tokenExchanges(s), 1);
    await p.createWebinar(account(), spec());
    assert.equal(await tokenExchanges(s), 1);
  });

  test("an expired access token (403 InvalidToken) is refreshed once and the call succeeds", async () => {
    const p = provider();
    await p.createWebinar(account(), spec());
    await sim(s, "POST", "/tokens/expire");
    const w = await p.createWebinar(account(), spec());
    assert.ok(w.providerWebinarId);
    assert.equal(await tokenExchanges(s), 2);
    const byEndpoint = (await sim(s, "GET", "/requests")).byEndpoint;
    assert.equal(byEndpoint["POST /organizers/{organizerKey}/webinars"], 3, "one refused, then retried once");
  });

  test("a token about to expire is not used: it is refreshed before the call", async () => {
    await sim(s, "POST", "/knobs", { accessTokenTtlSeconds: 120 });
    const p = provider();
    await p.checkCredentials(account());
    await p.checkCredentials(account());
    assert.equal(await tokenExchanges(s), 2, "a 2-minute token is inside the 5-minute margin");
  });

  test("a revoked refresh token is auth (not_authenticated), with no secret in the message", async () => {
    const p = provider();
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/revoke`);
    const err = await rejectsWith(p.createWebinar(account(), spec()), "auth");
    assert.doesNotMatch(err.message, /do-not-leak/);
    const check = await p.checkCredentials(account());
    assert.equal(check.status, "not_authenticated");
    const wrong = await p.checkCredentials(gotoAccount({ ...GOTO_ACCOUNT, clientSecret: "nope-secret" }));
    assert.equal(wrong.status, "not_authenticated");
    assert.doesNotMatch(wrong.message, /nope-secret/);
  });

  test("an expired refresh token is token_expired: the organizer must authorize again", async () => {
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/expire-refresh`);
    await rejectsWith(provider().createWebinar(account(), spec()), "token_expired");
    assert.equal((await provider().checkCredentials(account())).status, "token_expired");
  });

  test("403 permission is forbidden, not auth: no token refresh loop", async () => {
    const p = provider();
    await p.checkCredentials(account());
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/forbid`);
    await rejectsWith(p.createWebinar(account(), spec()), "forbidden");
    assert.equal(await tokenExchanges(s), 1, "a permission 403 does not trigger a refresh");
    assert.equal((await p.checkCredentials(account())).status, "forbidden");
    // Another organizer's key with our token: also a permission 403.
    const mixed = gotoAccount({ ...GOTO_ACCOUNT, organizerKey: GOTO_OTHER_ACCOUNT.organizerKey });
    await sim(s, "POST", "/knobs", { tokenCarriesOrganizerKey: false });
    await sim(s, "POST", `/accounts/${GOTO_ACCOUNT.clientId}/permit`);
    await rejectsWith(provider().createWebinar(mixed, spec()), "forbidden");
  });

  test("a token answer naming another organizer than the setting is auth", async () => {
    const mixed = gotoAccount({ ...GOTO_ACCOUNT, organizerKey: GOTO_OTHER_ACCOUNT.organizerKey });
    const err = await rejectsWith(provider().createWebinar(mixed, spec()), "auth");
    assert.match(err.message, /another organizer/);
  });

  test("a rotated refresh token is used by this process; a process holding only the stored one fails", async () => {
    await sim(s, "POST", "/knobs", { rotateRefreshTokens: true });
    const p = provider();
    await p.checkCredentials(account());
    await sim(s, "POST", "/tokens/expire");
    assert.equal(
      (await p.checkCredentials(account())).status,
      "healthy",
      "the rotated token was kept in memory",
    );
    // A second worker process starts with the stored (now retired) refresh token: the contract gap.
    assert.equal((await provider().checkCredentials(account())).status, "not_authenticated");
  });
});

describe("limits and faults", () => {
  test("429 is rate_limited, with Retry-After when GoTo sends one and without when not", async () => {
    await sim(s, "POST", "/knobs", { rateLimitPerSecond: 1, retryAfterSeconds: 2 });
    const p = provider();
    await p.checkCredentials(account());
    const err = await rejectsWith(p.createWebinar(account(), spec()), "rate_limited");
    assert.equal(err.details.retryAfterMs, 2000);
    assert.equal(err.retryable, true);
    await sim(s, "POST", "/knobs", { retryAfterSeconds: null });
    const bare = await rejectsWith(p.createWebinar(account(), spec()), "rate_limited");
    assert.equal(bare.details.retryAfterMs, undefined);
  });

  test("the adapter paces itself to 10 requests/s: 25 concurrent calls draw no 429", async () => {
    const p = provider();
    const w = await p.createWebinar(account(), spec());
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        p.register(account(), w.providerWebinarId, person(`pace${i}@example.com`)),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds >= 2.6, `25 requests 110 ms apart take over 2.6 s, took ${seconds}`);
    assert.equal((await simRegistrants(s, w.providerWebinarId)).length, 25);
    console.log(
      `goto pacing: 25 registrations in ${seconds.toFixed(2)} s (${(25 / seconds).toFixed(1)}/s), no 429`,
    );
  });

  test("5xx and connection resets are transient", async () => {
    const p = provider();
    await p.checkCredentials(account());
    for (const kind of ["500", "503", "reset"] as const) {
      await sim(s, "POST", "/knobs", { faultRateBeforeCommit: 1, faultKinds: [kind] });
      await rejectsWith(p.createWebinar(account(), spec()), "transient");
    }
  });
});

describe("attendance", () => {
  test("sessions → attendees, summed per person over sessions and intervals, equal to the simulator's", async () => {
    const p = provider();
    const w = await p.createWebinar(account(), spec({ webinarType: "sequence" }));
    for (const e of ["a@example.com", "b@example.com", "c@example.com"])
      await p.register(account(), w.providerWebinarId, person(e));
    await sim(s, "POST", `/webinars/${w.providerWebinarId}/run`, {
      attendees: [
        { email: "a@example.com", minutes: 40 },
        { email: "b@example.com", minutes: 7 },
        { email: "walkin@example.com", minutes: 12 },
      ],
    });
    const second = await sim(s, "POST", `/webinars/${w.providerWebinarId}/run`, {
      attendees: [{ email: "a@example.com", minutes: 15 }],
    });
    const page = await p.listAttendance(account(), w.providerWebinarId, null);
    assert.equal(page.nextCursor, null);
    const byEmail = new Map(page.records.map((r) => [r.email, r]));
    assert.equal(byEmail.size, 3);
    for (const [email, seconds] of Object.entries(second.seconds as Record<string, number>)) {
      assert.equal(byEmail.get(email)?.liveMinutes, seconds / 60, email);
    }
    assert.equal(byEmail.get("a@example.com")?.liveMinutes, 55);
    const a = byEmail.get("a@example.com");
    assert.ok(a?.firstActivityAt && a.lastActivityAt && a.lastActivityAt > a.firstActivityAt);
    assert.ok(BigInt(a?.providerRegistrantId ?? "0") > 2n ** 53n);
    assert.equal(byEmail.get("c@example.com"), undefined, "no-shows are not attendees");
    await rejectsWith(p.listAttendance(account(), w.providerWebinarId, "not-a-page"), "invalid");
  });
});
