// Unit tests of the ON24 adapter against a fake fetch: error mapping, request shape, paging and
// the pure value mappings. No simulator needed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ProviderAccount, ProviderError } from "../../src/providers/contract.ts";
import { redact } from "../../src/providers/http.ts";
import {
  applyRegistrationFields,
  createOn24Provider,
  on24IsoLiveStart,
  on24Language,
  on24LiveDuration,
  on24WccLiveStart,
  truncateTitle,
} from "../../src/providers/on24/adapter.ts";
import { on24ErrorKind } from "../../src/providers/on24/client.ts";
import { createProviderRegistry } from "../../src/providers/registry.ts";

const SECRETS = { clientId: "7340021", accessTokenKey: "KEY7F3A9C11", accessTokenSecret: "s3cr3t-VALUE-9x" };
const account = (region = "NA"): ProviderAccount => ({
  credentials: {
    clientId: Buffer.from(SECRETS.clientId),
    accessTokenKey: Buffer.from(SECRETS.accessTokenKey),
    accessTokenSecret: Buffer.from(SECRETS.accessTokenSecret),
  },
  settings: { region },
});

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Answer = { status: number; body?: string; headers?: Record<string, string> } | Error | "hang";

/** A fetch that records requests and plays back answers in order (the last one repeats). */
function fakeFetch(...answers: Answer[]) {
  const seen: Seen[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    seen.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    const a = answers.length > 1 ? answers.shift() : answers[0];
    if (a === undefined) throw new Error("no answer scripted");
    if (a === "hang") {
      return new Promise<Response>((_, reject) => {
        // AbortSignal.timeout's timer is unref'd; a real socket would keep the process alive.
        const keepAlive = setTimeout(() => reject(new Error("fake fetch was never aborted")), 5000);
        init?.signal?.addEventListener("abort", () => {
          clearTimeout(keepAlive);
          reject(init.signal?.reason);
        });
      });
    }
    if (a instanceof Error) throw a;
    return new Response(a.body ?? "", { status: a.status, headers: a.headers });
  }) as typeof fetch;
  return { fn, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { "content-type": "application/json", ...headers },
});
const msg = (status: number, message: string, headers: Record<string, string> = {}) =>
  json(status, { message }, headers);

function assertClean(err: ProviderError): void {
  for (const v of Object.values(SECRETS))
    assert.ok(!err.message.includes(v), `credential in: ${err.message}`);
  assert.ok(!/@/.test(err.message), `e-mail in: ${err.message}`);
}

async function failureOf(answer: Answer, timeoutMs = 1000): Promise<ProviderError> {
  const { fn } = fakeFetch(answer);
  const p = createOn24Provider({ fetch: fn, timeoutMs });
  try {
    await p.updateWebinar(account(), "42", {
      title: "T",
      description: "",
      startsAt: new Date("2031-01-01T10:00:00Z"),
      endsAt: new Date("2031-01-01T11:00:00Z"),
      timeZone: "UTC",
      language: "en",
    });
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    assertClean(err);
    return err;
  }
  assert.fail("expected a ProviderError");
}

describe("ON24 error mapping", () => {
  const cases: [string, Answer, ProviderError["kind"]][] = [
    ["401 invalid tokens", msg(401, "AccessTokenKey and AccessTokenSecret are wrong or invalid."), "auth"],
    [
      "401 missing headers",
      msg(401, "Header must contain both accessTokenKey and accessTokenSecret."),
      "auth",
    ],
    ["401 deactivated", msg(401, "AccessTokenKey and AccessTokenSecret are deactivated."), "token_expired"],
    ["403 quota (api)", msg(403, "You have reached the maximum number of calls for this api."), "quota"],
    ["403 quota (endpoint)", msg(403, "You reached the maximum number of calls for this endpoint"), "quota"],
    [
      "403 not Elite or quota (combined wording)",
      msg(
        403,
        "The client id is not an Elite user; or You reached the maximum number of calls for this endpoint",
      ),
      "quota",
    ],
    [
      "403 permission",
      msg(403, "You do not have permission to perform the requested operation."),
      "forbidden",
    ],
    ["403 no access", msg(403, "You don't have access to this client id"), "forbidden"],
    ["403 client inactive", msg(403, `The client id ${SECRETS.clientId} is inactive.`), "forbidden"],
    ["403 event inactive (deleted)", msg(403, "The event 42 is inactive."), "not_found"],
    ["403 event id inactive", msg(403, "The event id 42 is inactive."), "not_found"],
    ["403 without body", { status: 403 }, "forbidden"],
    ["404 event", msg(404, "The event 42 doesn't exist."), "not_found"],
    ["404 client", msg(404, `The client ${SECRETS.clientId} doesn't exist.`), "not_found"],
    ["409", msg(409, "Duplicate"), "conflict"],
    ["410", msg(410, "Event has already been deleted"), "not_found"],
    ["400", msg(400, "Webinar was not created due to errors in the parameters"), "invalid"],
    ["412", msg(412, "Event does not meet criteria for deletion"), "invalid"],
    ["415", msg(415, "Content-Type must be form"), "invalid"],
    ["422", msg(422, "Unprocessable"), "invalid"],
    ["429", msg(429, "Too many requests"), "rate_limited"],
    ["408", { status: 408 }, "transient"],
    ["500", msg(500, "Internal Server Error"), "transient"],
    [
      "502 html",
      { status: 502, body: "<html>502 Bad Gateway</html>", headers: { "content-type": "text/html" } },
      "transient",
    ],
    ["503", { status: 503, body: "" }, "transient"],
    ["200 malformed JSON", { status: 200, body: "<html>oops</html>" }, "transient"],
    ["200 truncated JSON", { status: 200, body: '{"wccevent":{"eventId":42,"tit' }, "transient"],
    ["200 empty body", { status: 200, body: "" }, "transient"],
    ["200 wrong shape", json(200, { wccevent: { eventId: "abc" } }), "transient"],
    ["200 id as float", json(200, { wccevent: { eventId: 4.5 } }), "transient"],
    [
      "connection reset",
      Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }),
      "transient",
    ],
    [
      "refused",
      Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }),
      "transient",
    ],
  ];
  for (const [name, answer, kind] of cases) {
    test(`${name} → ${kind}`, async () => {
      const err = await failureOf(answer);
      assert.equal(err.kind, kind, err.message);
    });
  }

  test("timeout → transient (AbortSignal.timeout)", async () => {
    const started = Date.now();
    const err = await failureOf("hang", 50);
    assert.equal(err.kind, "transient");
    assert.match(err.message, /timed out/);
    assert.ok(Date.now() - started < 2000);
  });

  test("429 carries Retry-After (seconds and HTTP date)", async () => {
    const a = await failureOf(msg(429, "slow down", { "retry-after": "7" }));
    assert.equal(a.details.retryAfterMs, 7000);
    const b = await failureOf(
      msg(429, "slow down", { "retry-after": new Date(Date.now() + 60_000).toUTCString() }),
    );
    assert.ok((b.details.retryAfterMs ?? 0) > 50_000);
    const c = await failureOf(msg(429, "slow down"));
    assert.equal(c.details.retryAfterMs, undefined);
  });

  test("retryable follows the kind: quota and transient yes, forbidden no", async () => {
    assert.equal(
      (await failureOf(msg(403, "You have reached the maximum number of calls for this api."))).retryable,
      true,
    );
    assert.equal((await failureOf(msg(500, "x"))).retryable, true);
    assert.equal(
      (await failureOf(msg(403, "You do not have permission to perform the requested operation."))).retryable,
      false,
    );
  });

  test("messages are redacted: no credential values, no e-mail addresses, keep the status", async () => {
    const err = await failureOf(msg(404, `The client ${SECRETS.clientId} doesn't exist.`));
    assert.match(err.message, /HTTP 404/);
    assert.match(err.message, /<redacted>/);
    const echoed = await failureOf(
      msg(400, `Bad ${SECRETS.accessTokenKey}/${SECRETS.accessTokenSecret} for jane.doe+x@example.co.uk`),
    );
    assert.match(echoed.message, /<email>/);
    assert.equal(
      redact("The attendant bob@example.com doesn't exist.", null),
      "The attendant <email> doesn't exist.",
    );
  });

  test("on24ErrorKind table", () => {
    assert.equal(on24ErrorKind(401, "Token expired"), "token_expired");
    assert.equal(on24ErrorKind(401, "AccessTokenKey and AccessTokenSecret are disabled"), "token_expired");
    assert.equal(on24ErrorKind(403, undefined), "forbidden");
    assert.equal(on24ErrorKind(504, undefined), "transient");
  });
});

describe("ON24 requests", () => {
  test("writes are form-encoded, auth headers come from the Buffers, EU region picks the EU host", async () => {
    const { fn, seen } = fakeFetch(
      json(200, { wccevent: { eventId: 99, audienceUrl: "https://event.on24.eu/wcc/r/99/K" } }),
    );
    const p = createOn24Provider({ fetch: fn });
    const w = await p.createWebinar(account("EU"), {
      title: "Über & more",
      description: "About",
      startsAt: new Date("2031-07-01T08:00:00Z"),
      endsAt: new Date("2031-07-01T09:00:00Z"),
      timeZone: "Europe/Berlin",
      language: "de-DE",
      webinarType: "simulive",
    });
    assert.deepEqual(w, { providerWebinarId: "99", joinUrl: "https://event.on24.eu/wcc/r/99/K" });
    const [req] = seen;
    assert.ok(req);
    assert.equal(req.url, `https://api.eu.on24.com/v2/client/${SECRETS.clientId}/event`);
    assert.equal(req.method, "POST");
    assert.equal(req.headers.accessTokenKey, SECRETS.accessTokenKey);
    assert.equal(req.headers.accessTokenSecret, SECRETS.accessTokenSecret);
    assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded");
    const f = new URLSearchParams(req.body);
    assert.equal(f.get("title"), "Über & more");
    assert.equal(f.get("eventType"), "simulive");
    assert.equal(f.get("languageCd"), "de");
    assert.equal(f.get("countryCd"), null);
    assert.equal(f.get("timeZone"), "Europe/Berlin");
    assert.equal(f.get("liveStart"), "2031-07-01T10:00:00+02:00");
    assert.equal(f.get("liveDuration"), "60");
    assert.equal(f.get("eventAbstract"), "About");
  });

  test("deleteWebinar: 410 is success, 412 is invalid", async () => {
    const gone = fakeFetch(msg(410, "Event has already been deleted"));
    await createOn24Provider({ fetch: gone.fn }).deleteWebinar(account(), "5");
    assert.equal(gone.seen[0]?.method, "DELETE");
    const started = fakeFetch(msg(412, "Event does not meet criteria for deletion"));
    await assert.rejects(createOn24Provider({ fetch: started.fn }).deleteWebinar(account(), "5"), {
      kind: "invalid",
    });
  });

  test("missing credential or bad region fails before any request", async () => {
    const { fn, seen } = fakeFetch(json(200, {}));
    const p = createOn24Provider({ fetch: fn });
    const noSecret: ProviderAccount = {
      credentials: { clientId: Buffer.from("1"), accessTokenKey: Buffer.from("k") },
      settings: { region: "NA" },
    };
    assert.equal((await p.checkCredentials(noSecret)).status, "not_authenticated");
    await assert.rejects(p.deleteWebinar({ ...account(), settings: { region: "APAC" } }, "1"), {
      kind: "invalid",
    });
    await assert.rejects(p.deleteWebinar(account(), "../1"), { kind: "invalid" });
    assert.equal(seen.length, 0);
  });

  test("listAttendance follows pagecount with pageoffset/itemsperpage=100", async () => {
    const attendee = (id: number) => ({
      eventuserid: id,
      email: `u${id}@example.com`,
      firstname: "U",
      liveminutes: 3,
      archiveminutes: 1,
      engagementscore: 2.5,
      askedquestions: 1,
      answeredpolls: 2,
      resourcesdownloaded: 0,
      firstliveactivity: "2031-01-01T10:00:00-08:00",
      lastliveactivity: "2031-01-01T10:30:00-08:00",
      lastarchiveactivity: "2031-01-02T10:30:00-08:00",
    });
    const { fn, seen } = fakeFetch(
      json(200, { totalattendees: 3, pagecount: 3, currentpage: 0, attendees: [attendee(1)] }),
      json(200, { totalattendees: 3, pagecount: 3, currentpage: 1, attendees: [attendee(2)] }),
      json(200, { totalattendees: 3, pagecount: 3, currentpage: 2, attendees: [attendee(3)] }),
    );
    const p = createOn24Provider({ fetch: fn });
    const ids: string[] = [];
    let cursor: string | null = null;
    const cursors: (string | null)[] = [];
    do {
      const page = await p.listAttendance(account(), "77", cursor);
      ids.push(...page.records.map((r) => r.providerRegistrantId));
      cursor = page.nextCursor;
      cursors.push(cursor);
    } while (cursor !== null);
    assert.deepEqual(ids, ["1", "2", "3"]);
    assert.deepEqual(cursors, ["1", "2", null]);
    const q = new URL(seen[1]?.url ?? "").searchParams;
    assert.equal(q.get("pageoffset"), "1");
    assert.equal(q.get("itemsperpage"), "100");
    const first = await createOn24Provider({
      fetch: fakeFetch(json(200, { attendees: [attendee(1)] })).fn,
    }).listAttendance(account(), "77", null);
    assert.deepEqual(first.records[0], {
      providerRegistrantId: "1",
      email: "u1@example.com",
      firstName: "U",
      lastName: null,
      company: null,
      jobTitle: null,
      liveMinutes: 3,
      onDemandMinutes: 1,
      engagementScore: 2.5,
      questionsAsked: 1,
      pollsAnswered: 2,
      resourcesDownloaded: 0,
      firstActivityAt: new Date("2031-01-01T18:00:00Z"),
      lastActivityAt: new Date("2031-01-02T18:30:00Z"),
    });
    assert.equal(first.nextCursor, null);
    await assert.rejects(p.listAttendance(account(), "77", "next"), { kind: "invalid" });
  });

  test("the unpaged attendee and registrant lists have their own deadline; other calls keep theirs", async () => {
    // An answer that takes 150 ms: too slow for a 40 ms deadline, fine for a 3 s one.
    const slow = (bodyFor: (url: string) => unknown) =>
      (async (input: string | URL | Request, init?: RequestInit) => {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, 150);
          init?.signal?.addEventListener("abort", () => {
            clearTimeout(t);
            reject(init.signal?.reason);
          });
        });
        return new Response(JSON.stringify(bodyFor(String(input))), { status: 200 });
      }) as typeof fetch;
    const attendees = { eventid: 77, totalattendees: 1, attendees: [{ eventuserid: 5, email: "a@x.io" }] };
    const registrants = { registrants: [{ eventuserid: 5, email: "a@x.io", firstname: "Ann" }] };
    const patient = createOn24Provider({
      fetch: slow((url) => (new URL(url).pathname.endsWith("/registrant") ? registrants : attendees)),
      timeoutMs: 40,
      listTimeoutMs: 3000,
    });
    // Both lists (the attendees carry no names, so the registrant list is read too) take 150 ms.
    const page = await patient.listAttendance(account(), "77", null);
    assert.deepEqual(
      page.records.map((r) => [r.providerRegistrantId, r.firstName]),
      [["5", "Ann"]],
    );
    const other = await patient.checkCredentials(account());
    assert.equal(other.status, "unhealthy");
    assert.match(other.message, /timed out after 40 ms/);

    await assert.rejects(
      createOn24Provider({ fetch: fakeFetch("hang").fn, timeoutMs: 3000, listTimeoutMs: 40 }).listAttendance(
        account(),
        "77",
        null,
      ),
      (err: ProviderError) =>
        err.kind === "transient" && /list attendees timed out after 40 ms/.test(err.message),
    );
    // Attendees without names send the adapter to the registrant list, under the same deadline.
    const { fn } = fakeFetch(json(200, attendees), "hang");
    await assert.rejects(
      createOn24Provider({ fetch: fn, timeoutMs: 3000, listTimeoutMs: 40 }).listAttendance(
        account(),
        "77",
        null,
      ),
      (err: ProviderError) => /list registrants timed out after 40 ms/.test(err.message),
    );
  });
});

describe("ON24 value mapping", () => {
  const at = (min: number) => new Date(Date.UTC(2031, 0, 1, 10) + min * 60_000);
  test("liveDuration: 15-minute steps to 120, then 30, within 15–480, rounded up", () => {
    const start = at(0);
    const table: [number, number][] = [
      [1, 15],
      [15, 15],
      [16, 30],
      [60, 60],
      [61, 75],
      [120, 120],
      [121, 150],
      [150, 150],
      [479, 480],
      [600, 480],
    ];
    for (const [len, want] of table) assert.equal(on24LiveDuration(start, at(len)), want, `${len} min`);
    assert.throws(() => on24LiveDuration(start, start), { kind: "invalid" });
  });

  test("title is trimmed and truncated on code points", () => {
    assert.equal(truncateTitle("  Hi  ", 250), "Hi");
    assert.equal(Array.from(truncateTitle("😀".repeat(300), 250)).length, 250);
    assert.equal(truncateTitle("x".repeat(260), 255).length, 255);
    assert.throws(() => truncateTitle("   ", 250), { kind: "invalid" });
  });

  test("liveStart formats carry the event's zone", () => {
    const d = new Date("2031-01-15T17:30:00Z");
    assert.equal(on24IsoLiveStart(d, "America/Los_Angeles"), "2031-01-15T09:30:00-08:00");
    assert.equal(on24IsoLiveStart(d, "Asia/Kolkata"), "2031-01-15T23:00:00+05:30");
    assert.equal(on24WccLiveStart(d, "America/Los_Angeles"), "01/15/2031 09:30 AM");
    assert.equal(on24WccLiveStart(d, "Europe/Oslo"), "01/15/2031 06:30 PM");
  });

  test("languages map to ON24 languageCd/countryCd pairs", () => {
    assert.deepEqual(on24Language("en"), { languageCd: "en" });
    assert.deepEqual(on24Language("en-US"), { languageCd: "en" });
    assert.deepEqual(on24Language("en-GB"), { languageCd: "en", countryCd: "UK" });
    assert.deepEqual(on24Language("zh-TW"), { languageCd: "zh", countryCd: "TW" });
    assert.deepEqual(on24Language("pt_BR"), { languageCd: "pt" });
    assert.throws(() => on24Language(""), { kind: "invalid" });
  });

  test("registration fields: required gaps are invalid, optional mismatched options are dropped", () => {
    const base = { email: "a@b.c", firstname: "A", lastname: "B", company: null, jobtitle: "Boss" };
    const fields = [
      { fieldid: "email", required: "Y" as const },
      { fieldid: "job_title", required: "N" as const, options: ["CTO", "CEO"] },
    ];
    assert.equal(applyRegistrationFields(base, fields).jobtitle, null);
    assert.equal(applyRegistrationFields({ ...base, jobtitle: "CTO" }, fields).jobtitle, "CTO");
    assert.throws(() => applyRegistrationFields(base, [{ fieldid: "company", required: "Y" }]), {
      kind: "invalid",
    });
    assert.throws(() => applyRegistrationFields(base, [{ fieldid: "std1", required: "Y" }]), {
      kind: "invalid",
    });
    assert.deepEqual(applyRegistrationFields(base, null), base);
  });

  test("registry is keyed by every provider kind", () => {
    const registry = createProviderRegistry({ on24: { timeoutMs: 1000 } });
    assert.equal(registry.on24.kind, "on24");
    assert.deepEqual(registry.on24.credentialFields, ["clientId", "accessTokenKey", "accessTokenSecret"]);
    assert.ok(registry.on24.webinarTypes?.().some((t) => t.id === "fav"));
  });
});
