// Conformance of the ON24 simulator with ON24's own documents (specs/on24): every
// endpoint's 200 body against openapi.json, error messages against the documented ones, plus
// auth, form encoding, paging, quota (403), faults and attendance publication.
// Run: node --import tsx --test test/simulators/on24.conformance.test.ts
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { ACCOUNT_A, ACCOUNT_B, ACCOUNT_EU, Harness, person, type Reply } from "./on24-harness.ts";
import {
  documentedMessages,
  loadOn24Spec,
  requestSchema,
  responseSchema,
  type Spec,
  specPath,
  type ValidateOptions,
  validate,
} from "./on24-spec.ts";
import { OMITTED_WHEN_EMPTY, relax } from "./on24-spec-gaps.ts";

const P = {
  events: "/client/{clientId}/event",
  event: "/client/{clientId}/event/{eventId}",
  regfield: "/client/{clientId}/event/{eventId}/regfield",
  registrant: "/client/{clientId}/event/{eventId}/registrant",
  clientRegistrants: "/client/{clientId}/registrant",
  byEmail: "/client/{clientId}/registrant/{email}",
  forget: "/client/{clientId}/forget",
  forgetAll: "/client/{clientId}/event/{eventId}/forgetall",
  attendee: "/client/{clientId}/event/{eventId}/attendee",
  sessions: "/client/{clientId}/event/{eventId}/attendeesession",
};

let spec: Spec;
let h: Harness;

before(async () => {
  spec = loadOn24Spec(); // fails with a clear message when the document is missing
  h = await Harness.start();
});
after(async () => {
  await h?.sim.close();
});
beforeEach(async () => {
  await h.control("POST", "/reset");
});

function conforms(
  p: string,
  method: string,
  reply: Reply,
  opts: ValidateOptions & { examples?: string[] } = {},
) {
  assert.equal(reply.status, 200, `${method} ${p}: ${reply.text}`);
  const errors = validate(spec, responseSchema(spec, p, method, opts.examples), reply.body, opts);
  assert.deepEqual(
    errors,
    [],
    `${method} ${p} differs from ON24's documented response:\n${errors.join("\n")}`,
  );
}

function documented(p: string, method: string, reply: Reply, status: number) {
  assert.equal(reply.status, status, reply.text);
  assert.deepEqual(Object.keys(reply.body as object), ["message"], "ON24 error envelope is {message}");
  const msg = (reply.body as { message: string }).message;
  const known = documentedMessages(spec, p, method, status);
  assert.ok(
    known.some((re) => re.test(msg)),
    `"${msg}" is not a documented ${status} message of ${method} ${p}`,
  );
}

function formKeysInSpec(p: string, method: string, form: Record<string, unknown>) {
  const props = Object.keys(requestSchema(spec, p, method).properties ?? {});
  for (const k of Object.keys(form))
    assert.ok(props.includes(k), `${k} is not a form field of ${method} ${p}`);
}

const msgOf = (r: Reply) => (r.body as { message: string }).message;
const body = <T>(r: Reply) => r.body as T;

describe("spec availability", () => {
  test("a missing vendor document fails with a clear message", () => {
    assert.throws(
      () => loadOn24Spec(path.join(specPath, "missing.json")),
      /ON24 OpenAPI document not found at .*specs\/on24/s,
    );
  });
});

describe("authentication", () => {
  test("missing header → 401 with the message errors.yml records verbatim", async () => {
    const r = await h.on24("GET", "/client/{cid}/registrant", { headers: { accessTokenSecret: "" } });
    assert.equal(r.status, 401);
    const errorsYml = readFileSync(path.join(path.dirname(specPath), "errors.yml"), "utf8");
    assert.ok(errorsYml.includes(msgOf(r)), msgOf(r));
  });

  test("wrong secret → documented 401; wrong client → 403/404", async () => {
    documented(
      P.clientRegistrants,
      "GET",
      await h.on24("GET", "/client/{cid}/registrant", { headers: { accessTokenSecret: "nope" } }),
      401,
    );
    documented(
      P.forget,
      "POST",
      await h.on24("POST", "/client/{cid}/forget", {
        form: { email: "x@y.z" },
        headers: { accessTokenKey: "nope" },
      }),
      401,
    );
    documented(
      P.events,
      "POST",
      await h.on24("POST", `/client/${ACCOUNT_B.clientId}/event`, { form: {} }),
      403,
    );
    documented(P.events, "POST", await h.on24("POST", "/client/999999/event", { form: {} }), 404);
  });

  test("deactivated tokens → documented 401 until reactivated; idle 60 days deactivates", async () => {
    await h.control("POST", `/tokens/${ACCOUNT_A.accessTokenKey}/deactivate`);
    const eventId = 1;
    documented(
      P.registrant,
      "POST",
      await h.on24("POST", `/client/{cid}/event/${eventId}/registrant`, { form: person(1) }),
      401,
    );
    assert.match(msgOf(await h.on24("GET", "/client/{cid}/registrant")), /deactivated/);
    await h.control("POST", `/tokens/${ACCOUNT_A.accessTokenKey}/reactivate`);
    assert.equal((await h.on24("GET", "/client/{cid}/registrant")).status, 200);
    await h.control("POST", "/clock/advance", { ms: 61 * 86_400_000 });
    assert.equal(
      msgOf(await h.on24("GET", "/client/{cid}/registrant")),
      "AccessTokenKey and AccessTokenSecret are deactivated.",
    );
  });

  test("inactive client → documented 403", async () => {
    await h.control("POST", `/clients/${ACCOUNT_A.clientId}/deactivate`);
    documented(P.events, "POST", await h.on24("POST", "/client/{cid}/event", { form: {} }), 403);
  });

  test("tokens are regional: EU pair works on the EU base URL only", async () => {
    assert.equal((await h.on24("GET", "/client/{cid}/registrant", { account: ACCOUNT_EU })).status, 200);
    const res = await fetch(`${h.sim.baseUrls.NA}/client/${ACCOUNT_EU.clientId}/registrant`, {
      headers: { accessTokenKey: ACCOUNT_EU.accessTokenKey, accessTokenSecret: ACCOUNT_EU.accessTokenSecret },
    });
    assert.equal(res.status, 401);
  });
});

describe("event management", () => {
  const form = {
    title: "Launch webinar",
    eventType: "fav",
    languageCd: "en",
    liveDuration: "60",
    liveStart: "03/04/2031 09:00 AM",
    timeZone: "America/Los_Angeles",
    eventAbstract: "Abstract",
    tagCampaign: ["alpha", "beta"],
  };

  test("create (form-encoded) matches the documented wccevent", async () => {
    formKeysInSpec(P.events, "POST", form);
    const r = await h.on24("POST", "/client/{cid}/event", { form });
    conforms(P.events, "POST", r, { examples: ["Create a Webinar"] });
    const ev = body<{ wccevent: Record<string, unknown> }>(r).wccevent;
    assert.equal(typeof ev.eventId, "number");
    assert.equal(ev.clientId, ACCOUNT_A.clientId);
    assert.equal(ev.goodAfter, "03/04/2031 09:00 AM");
    assert.equal(ev.liveStart, "03/04/2031 08:45 AM");
    assert.equal(ev.liveEnd, "03/04/2031 10:00 AM");
    assert.equal(ev.liveDuration, 3600);
    assert.deepEqual(ev.tags, ["alpha", "beta"]);
  });

  test("create via multipart/form-data and copy via eventsource", async () => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) fd.append(k, x);
    const res = await fetch(`${h.sim.baseUrls.NA}/client/${ACCOUNT_A.clientId}/event`, {
      method: "POST",
      headers: { accessTokenKey: ACCOUNT_A.accessTokenKey, accessTokenSecret: ACCOUNT_A.accessTokenSecret },
      body: fd,
    });
    assert.equal(res.status, 200);
    const src = ((await res.json()) as { wccevent: { eventId: number } }).wccevent.eventId;
    const copy = await h.on24("POST", `/client/{cid}/event?eventsource=${src}`, {
      form: { liveStart: "2031-05-01T10:00:00-07:00", liveDuration: "90" },
    });
    conforms(P.events, "POST", copy, { examples: ["Copy a Webinar"] });
    const ev = body<{ wccevent: Record<string, unknown> }>(copy).wccevent;
    assert.equal(ev.title, "Copy of Launch webinar");
    assert.equal(ev.sourceEventId, src);
  });

  test("invalid parameters → documented 400; JSON bodies are refused", async () => {
    documented(
      P.events,
      "POST",
      await h.on24("POST", "/client/{cid}/event", { form: { ...form, liveDuration: "50" } }),
      400,
    );
    documented(
      P.events,
      "POST",
      await h.on24("POST", "/client/{cid}/event", { form: { ...form, title: "" } }),
      400,
    );
    const json = await h.on24("POST", "/client/{cid}/event", {
      rawBody: JSON.stringify(form),
      headers: { "content-type": "application/json" },
    });
    assert.equal(json.status, 415);
    const report = body<{ events: unknown[] }>(await h.control("GET", "/registrants"));
    assert.equal(report.events.length, 0, "no event was created");
  });

  test("get, update, delete and registration fields", async () => {
    const id = await h.createEvent();
    conforms(P.event, "GET", await h.on24("GET", `/client/{cid}/event/${id}`), {
      examples: ["When content type is webcast"],
      notSimulated: relax("metadata"),
    });
    const upd = await h.on24("PUT", `/client/{cid}/event/${id}`, {
      form: { title: "Renamed", enableRegistration: "N" },
    });
    conforms(P.event, "PUT", upd, { examples: ["Update a Webinar"], notSimulated: relax("update") });
    const meta = body<Record<string, unknown>>(await h.on24("GET", `/client/{cid}/event/${id}`));
    assert.equal(meta.eventname, "Renamed");
    assert.equal(meta.regrequired, false);
    conforms(P.regfield, "GET", await h.on24("GET", `/client/{cid}/event/${id}/regfield`));
    conforms(P.event, "DELETE", await h.on24("DELETE", `/client/{cid}/event/${id}`));
    documented(P.event, "DELETE", await h.on24("DELETE", `/client/{cid}/event/${id}`), 410);
    documented(P.event, "GET", await h.on24("GET", `/client/{cid}/event/${id}`), 403);
    documented(P.event, "DELETE", await h.on24("DELETE", "/client/{cid}/event/123"), 404);
    documented(P.event, "GET", await h.on24("GET", "/client/{cid}/event/123"), 404);
    documented(P.regfield, "GET", await h.on24("GET", "/client/{cid}/event/123/regfield"), 404);
  });

  test("a webinar that has run cannot be deleted (412)", async () => {
    const id = await h.createEvent();
    await h.control("POST", `/events/${id}/run`, { seed: 1 });
    documented(P.event, "DELETE", await h.on24("DELETE", `/client/{cid}/event/${id}`), 412);
  });
});

describe("registration", () => {
  test("form-encoded create echoes ON24's registrant; same email twice upserts", async () => {
    const id = await h.createEvent();
    const form = person(1, { partnerRef: "newsletter", std1: "x" });
    formKeysInSpec(P.registrant, "POST", form);
    const first = await h.register(id, form);
    conforms(P.registrant, "POST", first, { notSimulated: relax("registrant") });
    const reg = body<Record<string, unknown>>(first);
    assert.equal(typeof reg.eventuserid, "number");
    assert.equal(reg.eventid, id);
    assert.equal(reg.jobtitle, "Engineer");
    const again = await h.register(id, {
      email: "PERSON1@example.com",
      firstname: "Firsty",
      lastname: "L",
      company: "NewCo",
    });
    assert.equal(body<Record<string, unknown>>(again).eventuserid, reg.eventuserid);
    assert.equal(body<Record<string, unknown>>(again).company, "NewCo");
    const sim = body<{ registrants: { createCount: number }[]; count: number }>(
      await h.control("GET", `/events/${id}/registrants`),
    );
    assert.equal(sim.count, 1);
    assert.equal(sim.registrants[0]?.createCount, 2);
  });

  test("required registration fields are honoured (honorrequired=N lifts them)", async () => {
    const id = await h.createEvent();
    assert.equal((await h.register(id, { email: "a@example.com" })).status, 400);
    const ok = await h.on24("POST", `/client/{cid}/event/${id}/registrant?honorrequired=N`, {
      form: { email: "a@example.com" },
    });
    assert.equal(ok.status, 200);
    await h.control("PUT", `/events/${id}/regfields`, [
      { fieldid: "email", fieldcaption: "Email", required: "Y", validationtype: "email" },
      {
        fieldid: "job_title",
        fieldcaption: "Title",
        fieldtype: "listbox",
        required: "N",
        options: ["CTO", "CEO"],
      },
    ]);
    assert.equal((await h.register(id, { email: "b@example.com", jobTitle: "Intern" })).status, 400);
    const lax = await h.on24("POST", `/client/{cid}/event/${id}/registrant?honorvalidation=N`, {
      form: { email: "b@example.com", jobTitle: "Intern" },
    });
    assert.equal(lax.status, 200);
  });

  test("event-level list, client-level paging (≤100 per page) and get by email", async () => {
    const id = await h.createEvent();
    for (let i = 0; i < 7; i++) await h.register(id, person(i));
    const list = await h.on24("GET", `/client/{cid}/event/${id}/registrant`);
    conforms(P.registrant, "GET", list, { notSimulated: relax("registrant") });
    assert.equal(body<{ totalregistrants: number }>(list).totalregistrants, 7);
    const filtered = body<{ registrants: unknown[] }>(
      await h.on24("GET", `/client/{cid}/event/${id}/registrant?email=person3@example.com`),
    );
    assert.equal(filtered.registrants.length, 1);
    const p2 = await h.on24("GET", "/client/{cid}/registrant?pageoffset=2&itemsperpage=3");
    conforms(P.clientRegistrants, "GET", p2, { notSimulated: relax("registrant") });
    const pb = body<{
      totalregistrants: number;
      pagecount: number;
      currentpage: number;
      registrants: { email: string }[];
    }>(p2);
    assert.deepEqual(
      [pb.totalregistrants, pb.pagecount, pb.currentpage, pb.registrants.length],
      [7, 3, 2, 1],
    );
    assert.equal(pb.registrants[0]?.email, "person6@example.com");
    for (let i = 7; i < 105; i++) await h.register(id, person(i));
    const big = body<{ pagecount: number; registrants: unknown[] }>(
      await h.on24("GET", "/client/{cid}/registrant?itemsperpage=500"),
    );
    assert.deepEqual([big.registrants.length, big.pagecount], [100, 2]);
    const one = await h.on24("GET", `/client/{cid}/registrant/person3@example.com?eventid=${id}`);
    conforms(P.byEmail, "GET", one, { notSimulated: relax("registrant") });
    documented(P.byEmail, "GET", await h.on24("GET", "/client/{cid}/registrant/nobody@example.com"), 404);
    documented(
      P.byEmail,
      "GET",
      await h.on24("GET", `/client/{cid}/registrant/nobody@example.com?eventid=${id}`),
      404,
    );
  });

  test("PATCH event-level and client-level", async () => {
    const id = await h.createEvent();
    await h.register(id, person(1));
    await h.register(id, person(2));
    const p = await h.on24("PATCH", `/client/{cid}/event/${id}/registrant`, {
      form: { email: "person1@example.com", company: "Globex", isBlocked: "Y" },
    });
    conforms(P.registrant, "PATCH", p, { notSimulated: relax("registrant") });
    assert.equal(body<Record<string, string>>(p).isblocked, "Y");
    const url = `/client/{cid}/event/${id}/registrant`;
    documented(P.registrant, "PATCH", await h.on24("PATCH", url, { form: { email: "zz@example.com" } }), 403);
    documented(P.registrant, "PATCH", await h.on24("PATCH", url, { form: { company: "x" } }), 400);
    documented(
      P.registrant,
      "PATCH",
      await h.on24("PATCH", url, { form: { email: "person1@example.com", isBlocked: "Q" } }),
      400,
    );
    documented(
      P.registrant,
      "PATCH",
      await h.on24("PATCH", `${url}?honorrequired=maybe`, { form: { email: "person1@example.com" } }),
      400,
    );
    const all = await h.on24("PATCH", "/client/{cid}/registrant/person1@example.com", {
      form: { jobTitle: "CTO" },
    });
    conforms(P.byEmail, "PATCH", all);
    const clash = await h.on24("PATCH", "/client/{cid}/registrant/person1@example.com", {
      form: { email: "person2@example.com" },
    });
    documented(P.byEmail, "PATCH", clash, 400);
    documented(
      P.byEmail,
      "PATCH",
      await h.on24("PATCH", "/client/{cid}/registrant/no@example.com", { form: { city: "x" } }),
      404,
    );
  });

  test("soft delete via isDeleted, 412 for an unknown email, refused after start", async () => {
    const inAnHour = `${new Date(Date.now() + 3_600_000).toISOString().slice(0, 19)}+00:00`;
    const id = await h.createEvent({ liveStart: inAnHour });
    await h.register(id, person(1));
    const del = await h.register(id, { email: "person1@example.com", isDeleted: "Y" });
    assert.equal(del.status, 200);
    const url = `/client/{cid}/event/${id}/registrant`;
    assert.equal(body<{ totalregistrants: number }>(await h.on24("GET", url)).totalregistrants, 0);
    const deleted = body<{ registrants: { userstatus: string }[] }>(
      await h.on24("GET", `${url}?userstatus=deleted`),
    );
    assert.equal(deleted.registrants[0]?.userstatus, "deleted");
    documented(P.registrant, "POST", await h.register(id, { email: "new@example.com", isDeleted: "Y" }), 412);
    await h.control("POST", "/clock/advance", { ms: 2 * 3_600_000 });
    const late = await h.register(id, { email: "person1@example.com", isDeleted: "N" });
    assert.equal(late.status, 400, late.text);
  });

  test("forget (GDPR) and forgetall overwrite personal data", async () => {
    const id = await h.createEvent();
    await h.register(id, person(1));
    await h.register(id, person(2));
    await h.register(id, person(3));
    const f = await h.on24("POST", "/client/{cid}/forget", {
      form: { email: "person1@example.com,person2@example.com" },
    });
    conforms(P.forget, "POST", f);
    const ids = body<{ deletedregistrants: { eventuserids: number[] } }>(f).deletedregistrants.eventuserids;
    assert.equal(ids.length, 2);
    const gone = body<{ registrants: Record<string, string>[] }>(
      await h.on24("GET", `/client/{cid}/event/${id}/registrant?userstatus=forgotten`),
    );
    assert.equal(gone.registrants[0]?.email, `${ids[0]}-deleted`);
    assert.equal(gone.registrants[0]?.firstname, "deleted");
    assert.equal(gone.registrants[0]?.company, undefined);
    documented(
      P.forget,
      "POST",
      await h.on24("POST", "/client/{cid}/forget", { form: { email: "person1@example.com" } }),
      404,
    );
    conforms(P.forgetAll, "POST", await h.on24("POST", `/client/{cid}/event/${id}/forgetall`));
  });
});

describe("attendance", () => {
  async function ranEvent(seed: number, lagMs = 0) {
    await h.control("PATCH", "/knobs", { publicationLagMs: lagMs });
    const id = await h.createEvent();
    for (let i = 0; i < 12; i++) await h.register(id, person(i));
    const run = body<{ attendees: number }>(
      await h.control("POST", `/events/${id}/run`, { seed, walkIns: 2 }),
    );
    return { id, run };
  }

  test("attendees and sessions appear only after the publication lag", async () => {
    const { id } = await ranEvent(5, 3_600_000);
    const early = body<{ totalattendees: number }>(await h.on24("GET", `/client/{cid}/event/${id}/attendee`));
    assert.equal(early.totalattendees, 0);
    const earlyRegs = body<{ totalregistrants: number }>(
      await h.on24("GET", `/client/{cid}/event/${id}/registrant`),
    );
    assert.equal(earlyRegs.totalregistrants, 12, "walk-ins are not visible yet");
    await h.control("POST", "/clock/advance", { ms: 3_600_000 });
    const att = await h.on24("GET", `/client/{cid}/event/${id}/attendee`);
    conforms(P.attendee, "GET", att, { examples: ["Elite account"], notSimulated: relax("attendee") });
    const list = body<{ attendees: Record<string, unknown>[] }>(att).attendees;
    assert.ok(list.length > 2);
    assert.ok(list.some((a) => String(a.email).startsWith("walkin")));
    for (const a of list) {
      assert.ok(Number.isInteger(a.liveminutes) && Number.isInteger(a.archiveminutes));
      assert.ok((a.liveminutes as number) + (a.archiveminutes as number) >= 1);
      assert.equal(a.attendeesessions, (a.liveviewed as number) + (a.archiveviewed as number));
    }
    const regs = body<{ totalregistrants: number }>(
      await h.on24("GET", `/client/{cid}/event/${id}/registrant`),
    );
    assert.equal(regs.totalregistrants, 14, "walk-ins now appear as registrants");
    const sim = body<{ registrants: { walkIn: boolean; createCount: number }[] }>(
      await h.control("GET", `/events/${id}/registrants`),
    );
    assert.ok(sim.registrants.filter((r) => r.walkIn).every((r) => r.createCount === 0));
    const s = await h.on24("GET", `/client/{cid}/event/${id}/attendeesession?itemsperpage=2&pageoffset=1`);
    conforms(P.sessions, "GET", s, { notSimulated: OMITTED_WHEN_EMPTY.session });
    const sb = body<{
      totalattendeesessions: number;
      pagecount: number;
      currentpage: number;
      attendeesession: unknown[];
    }>(s);
    assert.equal(sb.pagecount, Math.ceil(sb.totalattendeesessions / 2));
    assert.equal(sb.currentpage, 1);
    const live = body<{ attendeesession: { usage: string }[] }>(
      await h.on24("GET", `/client/{cid}/event/${id}/attendeesession?sessiontype=live`),
    );
    assert.ok(live.attendeesession.every((x) => x.usage === "Live"));
    const meta = body<{ eventanalytics: Record<string, number> }>(
      await h.on24("GET", `/client/{cid}/event/${id}`),
    );
    assert.equal(meta.eventanalytics.totalattendees, list.length);
    assert.equal(meta.eventanalytics.noshowcount, 14 - list.length);
    const noshow = body<{ totalregistrants: number }>(
      await h.on24("GET", `/client/{cid}/event/${id}/registrant?noshow=Y`),
    );
    assert.equal(noshow.totalregistrants, 14 - list.length);
  });

  test("runs are deterministic for a seed", async () => {
    const get = async (seed: number) => {
      await h.control("POST", "/reset");
      const { id } = await ranEvent(seed);
      const a = await h.on24("GET", `/client/{cid}/event/${id}/attendee`);
      const s = await h.on24("GET", `/client/{cid}/event/${id}/attendeesession`);
      return [a.body, s.body];
    };
    assert.deepEqual(await get(42), await get(42));
    assert.notDeepEqual(await get(42), await get(43));
  });
});

describe("quota, faults and counters", () => {
  test("quota exhaustion is HTTP 403 with ON24's exact message, per account, per window", async () => {
    await h.control("PATCH", "/knobs", { quota: { limit: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) assert.equal((await h.on24("GET", "/client/{cid}/registrant")).status, 200);
    const r = await h.on24("GET", "/client/{cid}/registrant");
    documented(P.clientRegistrants, "GET", r, 403);
    assert.equal(msgOf(r), "You have reached the maximum number of calls for this api.");
    const yml = readFileSync(path.join(path.dirname(specPath), "rate-limits.yml"), "utf8");
    assert.ok(yml.includes(msgOf(r)));
    assert.equal(r.headers.get("retry-after"), null, "ON24 sends no Retry-After");
    documented(P.event, "DELETE", await h.on24("DELETE", "/client/{cid}/event/1"), 403); // "…for this endpoint"
    // The control API counts the refusals, so a benchmark running the simulator in its own
    // process can read them.
    assert.equal(body<{ quotaRefused: number }>(await h.control("GET", "/requests")).quotaRefused, 2);
    assert.equal(body<{ quotaRefused: number }>(await h.control("DELETE", "/requests")).quotaRefused, 0);
    assert.equal((await h.on24("GET", "/client/{cid}/registrant", { account: ACCOUNT_B })).status, 200);
    await h.control("POST", "/clock/advance", { ms: 60_000 });
    assert.equal((await h.on24("GET", "/client/{cid}/registrant")).status, 200);
  });

  test("pre-commit faults (500/502/503/drop) apply nothing", async () => {
    const id = await h.createEvent();
    await h.control("PATCH", "/knobs", { errorRate: 1, faultKinds: ["503"] });
    const r = await h.register(id, person(1));
    assert.equal(r.status, 503);
    assert.match(r.text, /503/);
    await h.control("PATCH", "/knobs", { faultKinds: ["drop"] });
    await assert.rejects(h.register(id, person(1)));
    await h.control("PATCH", "/knobs", { errorRate: 0 });
    const report = body<{ count: number }>(await h.control("GET", `/events/${id}/registrants`));
    assert.equal(report.count, 0, "faulted writes must not be applied");
  });

  test("after-commit faults apply the write; a retry upserts the same registrant", async () => {
    const id = await h.createEvent();
    await h.control("PATCH", "/knobs", { faultAfterCommitRate: 1, faultKinds: ["500"] });
    const r = await h.register(id, person(1));
    assert.equal(r.status, 500);
    assert.deepEqual(Object.keys(r.body as object), ["message"]);
    assert.equal(
      (await h.on24("GET", `/client/{cid}/event/${id}`)).status,
      200,
      "reads are never after-commit faulted",
    );
    await h.control("PATCH", "/knobs", { faultAfterCommitRate: 0 });
    const sim = body<{ registrants: { createCount: number; eventuserid: number }[] }>(
      await h.control("GET", `/events/${id}/registrants`),
    );
    assert.equal(sim.registrants.length, 1, "the write was applied despite the 500");
    const retry = await h.register(id, person(1));
    assert.equal(body<{ eventuserid: number }>(retry).eventuserid, sim.registrants[0]?.eventuserid);
  });

  test("scripted faults hit the named endpoint only; latency knob delays answers", async () => {
    const id = await h.createEvent();
    await h.control("POST", "/faults", { kind: "502", endpoint: "GET /client/{clientId}/event/{eventId}" });
    assert.equal((await h.on24("GET", "/client/{cid}/registrant")).status, 200);
    assert.equal((await h.on24("GET", `/client/{cid}/event/${id}`)).status, 502);
    assert.equal((await h.on24("GET", `/client/{cid}/event/${id}`)).status, 200);
    await h.control("PATCH", "/knobs", { latencyMs: 120, jitterMs: 30 });
    const t0 = performance.now();
    await h.on24("GET", "/client/{cid}/registrant");
    assert.ok(performance.now() - t0 >= 115);
  });

  test("per-endpoint request counters (for 'zero calls' assertions)", async () => {
    const id = await h.createEvent();
    await h.register(id, person(1));
    await h.register(id, person(2));
    const c = body<{
      total: number;
      byEndpoint: Record<string, number>;
      byOperation: Record<string, number>;
    }>(await h.control("GET", "/requests"));
    assert.equal(c.byEndpoint["POST /client/{clientId}/event/{eventId}/registrant"], 2);
    assert.equal(c.byOperation["Registration.RESTRegistrationAPI"], 2);
    assert.equal(c.byEndpoint["GET /client/{clientId}/event/{eventId}/attendee"] ?? 0, 0);
    assert.equal(c.total, 3);
    await h.control("DELETE", "/requests");
    assert.equal(body<{ total: number }>(await h.control("GET", "/requests")).total, 0);
  });
});
