// The ON24 adapter against the in-process ON24 simulator (simulators/on24): every method
// round-trips, and the simulator's failure modes map to the documented ProviderError kinds.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { type On24Simulator, startOn24Simulator } from "../../simulators/on24/server.ts";
import {
  type ProviderAccount,
  ProviderError,
  type RegistrantSpec,
  type WebinarProvider,
  type WebinarSpec,
} from "../../src/providers/contract.ts";
import { createOn24Provider } from "../../src/providers/on24/adapter.ts";

const NA = {
  clientId: 7340021,
  accessTokenKey: "KEYNA7F3A9C",
  accessTokenSecret: "s3cret-na-Q8w",
  region: "NA" as const,
};
const OTHER = {
  clientId: 7340022,
  accessTokenKey: "KEYOTHER51D",
  accessTokenSecret: "s3cret-ot-Z2v",
  region: "NA" as const,
};
const EU = {
  clientId: 8450031,
  accessTokenKey: "KEYEU0B77E2",
  accessTokenSecret: "s3cret-eu-M4k",
  region: "EU" as const,
};
const CREDENTIAL_VALUES = [NA, OTHER, EU].flatMap((a) => [
  String(a.clientId),
  a.accessTokenKey,
  a.accessTokenSecret,
]);

function accountOf(a: {
  clientId: number;
  accessTokenKey: string;
  accessTokenSecret: string;
  region: string;
}) {
  return {
    credentials: {
      clientId: Buffer.from(String(a.clientId)),
      accessTokenKey: Buffer.from(a.accessTokenKey),
      accessTokenSecret: Buffer.from(a.accessTokenSecret),
    },
    settings: { region: a.region },
  } satisfies ProviderAccount;
}
const acc = accountOf(NA);

let sim: On24Simulator;
/** Every ProviderError any adapter call threw during this file; checked for leaks at the end. */
const thrown: ProviderError[] = [];

/** Wraps a provider so every thrown error is recorded. */
function recording(p: WebinarProvider): WebinarProvider {
  return new Proxy(p, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      const record = (err: unknown): never => {
        if (err instanceof ProviderError) thrown.push(err);
        throw err;
      };
      return (...args: unknown[]) => {
        try {
          const out: unknown = v.apply(target, args);
          return out instanceof Promise ? out.catch(record) : out;
        } catch (err) {
          return record(err);
        }
      };
    },
  });
}

let provider: WebinarProvider;
const makeProvider = (timeoutMs = 3000) =>
  recording(createOn24Provider({ baseUrls: sim.baseUrls, timeoutMs }));

async function control(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${sim.url}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} /_sim${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function rejectsWith(p: Promise<unknown>, kind: ProviderError["kind"]): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `not a ProviderError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected ProviderError ${kind}`);
}

const spec = (over: Partial<WebinarSpec> = {}): WebinarSpec => ({
  title: "Quarterly product update",
  description: "What shipped this quarter",
  startsAt: new Date("2031-03-04T17:00:00Z"),
  endsAt: new Date("2031-03-04T18:00:00Z"),
  timeZone: "Europe/Oslo",
  language: "en",
  ...over,
});

const person = (n: number, over: Partial<RegistrantSpec> = {}): RegistrantSpec => ({
  email: `person${n}@example.com`,
  firstName: `First${n}`,
  lastName: `Last${n}`,
  company: n % 2 ? "Acme" : null,
  jobTitle: n % 3 ? null : "Engineer",
  ...over,
});

const simEvent = (id: string) => {
  const ev = sim.state.events.get(Number(id));
  assert.ok(ev, `simulator has no event ${id}`);
  return ev;
};
const simRegistrant = (id: string) => {
  const r = sim.state.registrants.get(Number(id));
  assert.ok(r, `simulator has no registrant ${id}`);
  return r;
};

before(async () => {
  sim = await startOn24Simulator({ accounts: [NA, OTHER, EU], seed: 7 });
});
after(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control("POST", "/reset");
  provider = makeProvider();
});
afterEach(async () => {
  // No test may leave the simulator with queued faults that would bleed into the next one.
  await control("DELETE", "/faults");
});

describe("credentials", () => {
  test("valid NA and EU pairs are healthy", async () => {
    assert.equal((await provider.checkCredentials(acc)).status, "healthy");
    assert.equal((await provider.checkCredentials(accountOf(EU))).status, "healthy");
  });

  test("a wrong secret, a missing field or an EU pair on the NA host is not_authenticated", async () => {
    assert.equal(
      (await provider.checkCredentials(accountOf({ ...NA, accessTokenSecret: "nope" }))).status,
      "not_authenticated",
    );
    const partial: ProviderAccount = { credentials: { ...acc.credentials }, settings: acc.settings };
    delete partial.credentials.accessTokenKey;
    assert.equal((await provider.checkCredentials(partial)).status, "not_authenticated");
    assert.equal(
      (await provider.checkCredentials(accountOf({ ...EU, region: "NA" }))).status,
      "not_authenticated",
    );
  });

  test("an unknown clientId is not_authenticated and its value is not echoed", async () => {
    const check = await provider.checkCredentials(accountOf({ ...NA, clientId: 7349999 }));
    assert.equal(check.status, "not_authenticated");
    assert.ok(!check.message.includes("7349999"));
  });

  test("another client's id is forbidden; an inactive client is forbidden", async () => {
    assert.equal(
      (await provider.checkCredentials(accountOf({ ...NA, clientId: OTHER.clientId }))).status,
      "forbidden",
    );
    await control("POST", `/clients/${NA.clientId}/deactivate`);
    const check = await provider.checkCredentials(acc);
    assert.equal(check.status, "forbidden");
    assert.ok(!check.message.includes(String(NA.clientId)), check.message);
  });

  test("a deactivated token is token_expired, for checks and for calls", async () => {
    await control("POST", `/tokens/${NA.accessTokenKey}/deactivate`);
    assert.equal((await provider.checkCredentials(acc)).status, "token_expired");
    await rejectsWith(provider.createWebinar(acc, spec()), "token_expired");
  });

  test("a token idle for 60 days expires", async () => {
    await control("POST", "/clock/advance", { ms: 61 * 86_400_000 });
    assert.equal((await provider.checkCredentials(acc)).status, "token_expired");
  });

  test("a bad token on a call is auth", async () => {
    await rejectsWith(provider.createWebinar(accountOf({ ...NA, accessTokenKey: "WRONG" }), spec()), "auth");
  });
});

describe("webinars", () => {
  test("create sends ON24's required fields and returns the audience URL", async () => {
    const w = await provider.createWebinar(acc, spec({ language: "en-GB", webinarType: "simulive" }));
    assert.match(w.providerWebinarId, /^\d+$/);
    const ev = simEvent(w.providerWebinarId);
    assert.equal(ev.title, "Quarterly product update");
    assert.equal(ev.eventAbstract, "What shipped this quarter");
    assert.equal(ev.eventType, "simulive");
    assert.equal(ev.languageCd, "en");
    assert.equal(ev.countryCd, "UK");
    assert.equal(ev.timeZone, "Europe/Oslo");
    assert.equal(ev.goodAfter, Date.parse("2031-03-04T17:00:00Z"));
    assert.equal(ev.durationMin, 60);
    assert.equal(w.joinUrl, `https://event.on24.com/wcc/r/${ev.eventId}/${ev.audienceKey}`);
  });

  test("EU accounts create on the EU host", async () => {
    const w = await provider.createWebinar(accountOf(EU), spec());
    const ev = simEvent(w.providerWebinarId);
    assert.equal(ev.region, "EU");
    assert.equal(w.joinUrl, `https://event.on24.com/wcc/r/${ev.eventId}/${ev.audienceKey}`);
  });

  test("long titles are truncated to 250 (create) and 255 (update); durations are stepped", async () => {
    const w = await provider.createWebinar(
      acc,
      spec({ title: "T".repeat(400), endsAt: new Date("2031-03-04T19:05:00Z") }),
    );
    const ev = simEvent(w.providerWebinarId);
    assert.equal(ev.title.length, 250);
    assert.equal(ev.durationMin, 150); // 125 min → next 30-minute step
    await provider.updateWebinar(
      acc,
      w.providerWebinarId,
      spec({ title: "U".repeat(400), endsAt: new Date("2031-03-04T17:07:00Z") }),
    );
    assert.equal(ev.title.length, 255);
    assert.equal(ev.durationMin, 15);
  });

  test("update moves the start in the event's zone and changes the title", async () => {
    const w = await provider.createWebinar(acc, spec());
    await provider.updateWebinar(
      acc,
      w.providerWebinarId,
      spec({
        title: "Moved",
        timeZone: "America/New_York",
        startsAt: new Date("2031-07-10T13:30:00Z"),
        endsAt: new Date("2031-07-10T15:00:00Z"),
      }),
    );
    const ev = simEvent(w.providerWebinarId);
    assert.equal(ev.title, "Moved");
    assert.equal(ev.timeZone, "America/New_York");
    assert.equal(ev.goodAfter, Date.parse("2031-07-10T13:30:00Z"));
    assert.equal(ev.durationMin, 90);
  });

  test("update and register on an unknown event are not_found", async () => {
    await rejectsWith(provider.updateWebinar(acc, "999999", spec()), "not_found");
    await rejectsWith(provider.register(acc, "999999", person(1)), "not_found");
  });

  test("the simulator refuses a bad time zone: invalid (we check it before calling)", async () => {
    await rejectsWith(provider.createWebinar(acc, spec({ timeZone: "Mars/Olympus" })), "invalid");
    assert.equal((await control("GET", "/requests")).total, 0);
  });

  test("delete, then delete again (410) is success; the deleted event is not_found afterwards", async () => {
    const w = await provider.createWebinar(acc, spec());
    await provider.deleteWebinar(acc, w.providerWebinarId);
    assert.equal(simEvent(w.providerWebinarId).deleted, true);
    await provider.deleteWebinar(acc, w.providerWebinarId);
    await rejectsWith(provider.register(acc, w.providerWebinarId, person(1)), "not_found");
    await rejectsWith(provider.updateWebinar(acc, w.providerWebinarId, spec()), "not_found");
  });

  test("deleting a webinar that has run is invalid (412)", async () => {
    const w = await provider.createWebinar(acc, spec());
    await control("POST", `/events/${w.providerWebinarId}/run`, {});
    await rejectsWith(provider.deleteWebinar(acc, w.providerWebinarId), "invalid");
  });

  test("webinarTypes lists ON24 event types, all accepted by create", async () => {
    const types = provider.webinarTypes?.() ?? [];
    assert.ok(types.length >= 3);
    for (const t of types) {
      const w = await provider.createWebinar(acc, spec({ webinarType: t.id }));
      assert.equal(simEvent(w.providerWebinarId).eventType, t.id);
    }
  });
});

describe("registrants", () => {
  let eventId: string;
  let joinUrl: string | null;
  beforeEach(async () => {
    ({ providerWebinarId: eventId, joinUrl } = await provider.createWebinar(acc, spec()));
  });

  test("register returns eventuserid and the audience URL; fields reach ON24", async () => {
    const r = await provider.register(acc, eventId, person(3, { company: "Initech", jobTitle: "CTO" }));
    assert.match(r.providerRegistrantId, /^\d+$/);
    assert.equal(r.email, "person3@example.com");
    assert.equal(r.joinUrl, joinUrl);
    const s = simRegistrant(r.providerRegistrantId);
    assert.equal(s.eventId, Number(eventId));
    assert.deepEqual(
      { ...s.fields },
      {
        email: "person3@example.com",
        firstname: "First3",
        lastname: "Last3",
        company: "Initech",
        jobtitle: "CTO",
      },
    );
  });

  test("a second provider instance fetches the audience URL from the event once, then caches it", async () => {
    const fresh = makeProvider();
    await control("DELETE", "/requests");
    const a = await fresh.register(acc, eventId, person(1));
    const b = await fresh.register(acc, eventId, person(2));
    assert.equal(a.joinUrl, joinUrl);
    assert.equal(b.joinUrl, joinUrl);
    const counts = (await control("GET", "/requests")).byOperation;
    assert.equal(counts["AnalyticsEventLevel.MetadataAndUsage"], 1);
    assert.equal(counts["Helpers.RetrieveRegistrationFields"], 1);
    assert.equal(counts["Registration.RESTRegistrationAPI"], 2);
  });

  test("registrations started together share one event lookup and one field lookup (a worker's jobs start at once)", async () => {
    const fresh = makeProvider();
    await control("DELETE", "/requests");
    const done = await Promise.all(
      Array.from({ length: 12 }, (_, i) => fresh.register(acc, eventId, person(i + 1))),
    );
    assert.ok(done.every((r) => r.joinUrl === joinUrl));
    const counts = (await control("GET", "/requests")).byOperation;
    assert.equal(counts["AnalyticsEventLevel.MetadataAndUsage"], 1);
    assert.equal(counts["Helpers.RetrieveRegistrationFields"], 1);
    assert.equal(counts["Registration.RESTRegistrationAPI"], 12);
  });

  test("registering the same email twice keeps one registrant (ON24 upserts by email)", async () => {
    const a = await provider.register(acc, eventId, person(1));
    const b = await provider.register(acc, eventId, person(1, { company: "Changed" }));
    assert.equal(a.providerRegistrantId, b.providerRegistrantId);
    assert.equal(simRegistrant(a.providerRegistrantId).fields.company, "Changed");
  });

  test("findRegistrantByEmail finds the registration of this event only", async () => {
    const r = await provider.register(acc, eventId, person(5));
    const other = await provider.createWebinar(acc, spec({ title: "Other" }));
    assert.deepEqual(await provider.findRegistrantByEmail?.(acc, eventId, "PERSON5@example.com"), r);
    assert.equal(
      await provider.findRegistrantByEmail?.(acc, other.providerWebinarId, "person5@example.com"),
      null,
    );
    assert.equal(await provider.findRegistrantByEmail?.(acc, eventId, "nobody@example.com"), null);
  });

  test("cancelRegistration soft-deletes; cancelling again or an unknown person is success", async () => {
    const r = await provider.register(acc, eventId, person(1));
    const ref = { providerRegistrantId: r.providerRegistrantId, email: r.email };
    await provider.cancelRegistration(acc, eventId, ref);
    assert.equal(simRegistrant(r.providerRegistrantId).status, "deleted");
    assert.equal(await provider.findRegistrantByEmail?.(acc, eventId, r.email), null);
    await provider.cancelRegistration(acc, eventId, ref);
    await provider.cancelRegistration(acc, eventId, {
      providerRegistrantId: "1",
      email: "ghost@example.com",
    });
  });

  test("cancelling on a deleted event is success", async () => {
    const r = await provider.register(acc, eventId, person(1));
    await provider.deleteWebinar(acc, eventId);
    await provider.cancelRegistration(acc, eventId, {
      providerRegistrantId: r.providerRegistrantId,
      email: r.email,
    });
  });

  test("cancelling after the event started is invalid (ON24 refuses)", async () => {
    const r = await provider.register(acc, eventId, person(1));
    await control("POST", `/events/${eventId}/run`, {});
    await rejectsWith(
      provider.cancelRegistration(acc, eventId, {
        providerRegistrantId: r.providerRegistrantId,
        email: r.email,
      }),
      "invalid",
    );
  });

  test("a required registration field we lack is invalid, without a registration call", async () => {
    await control("PUT", `/events/${eventId}/regfields`, [
      { fieldid: "email", fieldcaption: "Email", validationtype: "email", required: "Y" },
      { fieldid: "company", fieldcaption: "Company", required: "Y" },
    ]);
    await control("DELETE", "/requests");
    const err = await rejectsWith(provider.register(acc, eventId, person(2, { company: null })), "invalid");
    assert.match(err.message, /company/);
    const counts = (await control("GET", "/requests")).byOperation;
    assert.equal(counts["Registration.RESTRegistrationAPI"], undefined);
  });

  test("an optional list field whose options lack our value is left out instead of failing", async () => {
    await control("PUT", `/events/${eventId}/regfields`, [
      { fieldid: "email", fieldcaption: "Email", validationtype: "email", required: "Y" },
      {
        fieldid: "job_title",
        fieldcaption: "Title",
        fieldtype: "listbox",
        required: "N",
        options: ["CEO", "CTO"],
      },
    ]);
    const r = await provider.register(acc, eventId, person(3, { jobTitle: "Janitor" }));
    assert.equal(simRegistrant(r.providerRegistrantId).fields.jobtitle, undefined);
    const s = await provider.register(acc, eventId, person(6, { jobTitle: "CTO" }));
    assert.equal(simRegistrant(s.providerRegistrantId).fields.jobtitle, "CTO");
  });

  test("erasePerson forgets the person in every event; an unknown person is success", async () => {
    const r = await provider.register(acc, eventId, person(4));
    const other = await provider.createWebinar(acc, spec({ title: "Other" }));
    const r2 = await provider.register(acc, other.providerWebinarId, person(4));
    await provider.erasePerson?.(acc, "person4@example.com");
    for (const id of [r.providerRegistrantId, r2.providerRegistrantId]) {
      const s = simRegistrant(id);
      assert.equal(s.status, "forgotten");
      assert.equal(s.fields.email, `${id}-deleted`);
      assert.equal(s.fields.company, undefined);
    }
    await provider.erasePerson?.(acc, "person4@example.com");
    await rejectsWith(provider.erasePerson?.(acc, "a,b@example.com") ?? Promise.resolve(), "invalid");
  });
});

describe("attendance", () => {
  test("after a run, listAttendance equals what the simulator recorded", async () => {
    const { providerWebinarId: eventId } = await provider.createWebinar(acc, spec());
    const regs = new Map<string, RegistrantSpec>();
    for (let n = 1; n <= 14; n++) {
      const p = person(n);
      const r = await provider.register(acc, eventId, p);
      regs.set(r.providerRegistrantId, p);
    }
    const run = await control("POST", `/events/${eventId}/run`, { seed: 11, walkIns: 2 });
    assert.ok(run.attendees > 2);

    const records = [];
    let cursor: string | null = null;
    do {
      const page = await provider.listAttendance(acc, eventId, cursor);
      records.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor !== null);

    const recorded = simEvent(eventId).run?.attendance;
    assert.ok(recorded);
    assert.equal(records.length, recorded.size);
    // ON24's documented rounding: nearest integer, but 0 < x < 1 reports 1.
    const on24Minutes = (x: number) => (x > 0 && x < 1 ? 1 : Math.round(x));
    const secs = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
    for (const rec of records) {
      const a = recorded.get(Number(rec.providerRegistrantId));
      assert.ok(a, `unexpected attendee ${rec.providerRegistrantId}`);
      const s = simRegistrant(rec.providerRegistrantId);
      assert.equal(rec.email, s.fields.email);
      assert.equal(rec.firstName, s.fields.firstname ?? null);
      assert.equal(rec.lastName, s.fields.lastname ?? null);
      assert.equal(rec.company, s.fields.company ?? null);
      assert.equal(rec.jobTitle, s.fields.jobtitle ?? null);
      const expected = regs.get(rec.providerRegistrantId);
      if (expected) assert.equal(rec.email, expected.email);
      else assert.equal(s.walkIn, true);
      assert.equal(rec.liveMinutes, on24Minutes(a.liveMinutesExact));
      assert.equal(rec.onDemandMinutes, on24Minutes(a.archiveMinutesExact));
      assert.equal(rec.engagementScore, a.engagementscore);
      assert.equal(rec.questionsAsked, a.questions.length);
      assert.equal(rec.pollsAnswered, a.polls.length);
      assert.equal(rec.resourcesDownloaded, a.resources.length);
      assert.deepEqual(rec.firstActivityAt, secs(Math.min(...a.sessions.map((x) => x.start))));
      assert.deepEqual(rec.lastActivityAt, secs(Math.max(...a.sessions.map((x) => x.end))));
    }
  });

  test("nothing is listed before ON24 publishes the run; all of it after", async () => {
    await control("PATCH", "/knobs", { publicationLagMs: 3_600_000 });
    const { providerWebinarId: eventId } = await provider.createWebinar(acc, spec());
    for (let n = 1; n <= 5; n++) await provider.register(acc, eventId, person(n));
    await control("POST", `/events/${eventId}/run`, { seed: 2, attendanceRate: 1, walkIns: 0 });
    assert.deepEqual(await provider.listAttendance(acc, eventId, null), { records: [], nextCursor: null });
    await control("POST", "/clock/advance", { ms: 3_600_001 });
    const page = await provider.listAttendance(acc, eventId, null);
    assert.equal(page.records.length, 5);
    assert.equal(page.nextCursor, null);
  });

  test("a webinar that never ran has no attendance", async () => {
    const { providerWebinarId: eventId } = await provider.createWebinar(acc, spec());
    assert.deepEqual(await provider.listAttendance(acc, eventId, null), { records: [], nextCursor: null });
  });
});

describe("quota, rate limits and faults", () => {
  test("quota exhaustion (403 + ON24 message) is quota, retryable; checkCredentials says unhealthy", async () => {
    await control("PATCH", "/knobs", { quota: { limit: 3, windowMs: 3_600_000 } });
    const w = await provider.createWebinar(acc, spec());
    await provider.register(acc, w.providerWebinarId, person(1)); // regfield + POST → 3 calls, quota spent
    const err = await rejectsWith(provider.createWebinar(acc, spec()), "quota");
    assert.equal(err.retryable, true);
    assert.equal(err.details.status, 403);
    assert.equal((await provider.checkCredentials(acc)).status, "unhealthy");
    await rejectsWith(provider.erasePerson?.(acc, "x@example.com") ?? Promise.resolve(), "quota"); // endpoint wording
  });

  test("a permission 403 is forbidden, not quota", async () => {
    await rejectsWith(
      provider.createWebinar(accountOf({ ...NA, clientId: OTHER.clientId }), spec()),
      "forbidden",
    );
  });

  test("a 429 quota (DataGrail's claim) is rate_limited", async () => {
    await control("PATCH", "/knobs", { quota: { limit: 0, windowMs: 3_600_000 }, quotaStatus: 429 });
    await rejectsWith(provider.createWebinar(acc, spec()), "rate_limited");
  });

  for (const kind of ["500", "502", "503", "drop"] as const) {
    test(`a ${kind} fault is transient and applies nothing`, async () => {
      await control("POST", "/faults", { kind });
      await rejectsWith(provider.createWebinar(acc, spec()), "transient");
      assert.equal(sim.state.events.size, 0);
      await provider.createWebinar(acc, spec()); // the next call goes through
    });
  }

  test("a fault after commit is transient although ON24 applied it (create has no idempotency key)", async () => {
    await control("POST", "/faults", { kind: "500", afterCommit: true });
    await rejectsWith(provider.createWebinar(acc, spec()), "transient");
    assert.equal(sim.state.events.size, 1);
  });

  test("faults on reads used by register and listAttendance are transient", async () => {
    const fresh = makeProvider();
    const w = await fresh.createWebinar(acc, spec());
    await control("POST", "/faults", {
      kind: "503",
      endpoint: "GET /client/{clientId}/event/{eventId}/regfield",
    });
    await rejectsWith(makeProvider().register(acc, w.providerWebinarId, person(1)), "transient");
    await control("POST", "/faults", {
      kind: "drop",
      endpoint: "GET /client/{clientId}/event/{eventId}/attendee",
    });
    await rejectsWith(fresh.listAttendance(acc, w.providerWebinarId, null), "transient");
  });

  test("latency beyond the timeout is transient", async () => {
    const impatient = makeProvider(150);
    await control("PATCH", "/knobs", { latencyMs: 600 });
    const started = Date.now();
    const err = await rejectsWith(impatient.createWebinar(acc, spec()), "transient");
    assert.match(err.message, /timed out/);
    assert.ok(Date.now() - started < 550, "the timeout did not cut the wait short");
    assert.equal((await impatient.checkCredentials(acc)).status, "unhealthy");
  });
});

describe("error hygiene", () => {
  test("no credential value or e-mail address appears in any error thrown in this file", () => {
    assert.ok(thrown.length >= 15, `only ${thrown.length} errors recorded`);
    for (const err of thrown) {
      const text = `${err.message} ${JSON.stringify(err.details)}`;
      for (const v of CREDENTIAL_VALUES) assert.ok(!text.includes(v), `credential value in: ${text}`);
      assert.ok(!/@/.test(text), `e-mail address in: ${text}`);
    }
  });
});
