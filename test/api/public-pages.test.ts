import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, waitUntil, webinarSetup } from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
// Low enough to reach in a test; each test below uses a client address of its own.
testEnv.AUDITORIUM_PUBLIC_RATE_LIMIT = "25";
after(() => sim.close());

/** RFC 5545 §3.1 unfolding, then one entry per property name. */
function parseIcs(text: string) {
  assert.ok(text.endsWith("\r\n"), "ends with CRLF");
  assert.ok(!/[^\r]\n/.test(text), "every line ends with CRLF");
  for (const line of text.split("\r\n"))
    assert.ok(Buffer.byteLength(line) <= 75, `line over 75 octets: ${line}`);
  const lines = text
    .replace(/\r\n[ \t]/g, "")
    .split("\r\n")
    .filter(Boolean);
  const props = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    props.set(name, [...(props.get(name) ?? []), line.slice(colon + 1)]);
  }
  return { lines, get: (name: string) => props.get(name) ?? [] };
}
const unescapeText = (s: string) =>
  s.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === "n" || c === "N" ? "\n" : c));

forEachBackend("public pages", (ctx) => {
  let org: TestOrg;
  let address = 0;
  /** A fresh client address per test, so the per-address limit only bites where tested. */
  const client = () => {
    const ip = `198.51.100.${++address}`;
    return (method: string, url: string, body?: unknown) =>
      ctx.request(method, url, { remoteAddress: ip, ...(body !== undefined && { body }) });
  };
  const publish = (id: string) =>
    ctx.request("POST", `/api/v1/events/${id}/publish`, { token: org.tokens.marketer });

  before(async () => {
    await ctx.services.syncWorker.start();
    org = await ctx.createOrg("public-pages");
  });

  test("the public event says what the page needs: fields asked, consent, window, availability", async () => {
    const pub = client();
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Tiny room",
        startsAt: "2030-09-10T09:00",
        endsAt: "2030-09-10T17:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
        capacity: 1,
        registrationFields: { jobTitle: "required" },
        consentText: "You may email me about this event.",
      },
    });
    assert.equal(created.status, 201, created.text);
    await publish(created.body.id);
    const url = `/api/v1/public/events/${created.body.slug}`;
    const before = await pub("GET", url);
    assert.equal(before.status, 200, before.text);
    assert.deepEqual(before.body.fields, {
      firstName: "required",
      lastName: "required",
      email: "required",
      jobTitle: "required",
    });
    assert.equal(before.body.consentText, "You may email me about this event.");
    assert.equal(before.body.registrationState, "open");
    assert.deepEqual(before.body.availability, { limited: true, full: false, waitlist: false });
    assert.equal(before.body.capacity, undefined, "the number of places stays private");
    const reg = await pub("POST", `${url}/registrations`, {
      firstName: "Ada",
      lastName: "One",
      email: "ada.one@example.com",
      jobTitle: "CTO",
      consent: true,
    });
    assert.equal(reg.status, 202, reg.text);
    const full = await pub("GET", url);
    assert.deepEqual(full.body.availability, { limited: true, full: true, waitlist: true });
    const second = await pub("POST", `${url}/registrations`, {
      firstName: "Bo",
      lastName: "Two",
      email: "bo.two@example.com",
      jobTitle: "CFO",
      consent: true,
    });
    assert.equal(second.status, 202, second.text);
    const waitlisted = await ctx.database.db
      .selectFrom("registrations")
      .select("status")
      .where("id", "=", ctx.notices.last("registered").registrationId)
      .executeTakeFirstOrThrow();
    assert.equal(waitlisted.status, "waitlisted");

    const later = await ctx.request("PATCH", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
      body: { registrationOpensAt: "2030-09-01T09:00", capacity: null },
    });
    assert.equal(later.status, 200, later.text);
    const notYet = await pub("GET", url);
    assert.equal(notYet.body.registrationState, "not_yet_open");
    assert.equal(notYet.body.registrationOpen, false);
    assert.deepEqual(notYet.body.availability, { limited: false, full: false, waitlist: false });
  });

  test("the confirmation shows the event and, once synced with ON24, the personal join link", async () => {
    const pub = client();
    const { eventId } = await webinarSetup(ctx, org);
    await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
      token: org.tokens.marketer,
      body: { title: "Launch; Q&A, live", description: "All about the launch.\nBring questions." },
    });
    const published = await publish(eventId);
    assert.equal(published.status, 200, published.text);
    const slug = published.body.slug as string;
    const reg = await pub("POST", `/api/v1/public/events/${slug}/registrations`, {
      firstName: "Grace",
      lastName: "Hopper",
      email: "grace@example.com",
    });
    assert.equal(reg.status, 202, reg.text);
    // The registrant's page link reaches them by email; the notice stands for that message.
    const notice = ctx.notices.last("registered");
    const token = notice.pageToken as string;
    const registrationId = notice.registrationId;
    const page = `/api/v1/public/registrations/${token}`;

    const synced = await waitUntil("personal join link", async () => {
      const admin = await ctx.request("GET", `/api/v1/registrations/${registrationId}`, {
        token: org.tokens.viewer,
      });
      const w = admin.body.webinar[0];
      return w?.state === "synced" && w.joinUrl ? (w.joinUrl as string) : null;
    });
    const confirmation = await pub("GET", page);
    assert.equal(confirmation.status, 200, confirmation.text);
    assert.equal(confirmation.body.joinUrl, synced);
    assert.ok(synced.startsWith("http"), synced);
    const event = (await ctx.request("GET", `/api/v1/events/${eventId}`, { token: org.tokens.viewer })).body;
    assert.deepEqual(confirmation.body.event, {
      title: "Launch; Q&A, live",
      slug,
      startsAt: event.startsAt,
      endsAt: event.endsAt,
      startsAtLocal: event.startsAtLocal,
      endsAtLocal: event.endsAtLocal,
      timeZone: "Europe/Oslo",
      format: "webinar",
      status: "published",
    });
    assert.equal(confirmation.body.registration.status, "registered");
    assert.equal(confirmation.body.registration.firstName, "Grace");
    assert.equal(confirmation.body.calendarUrl, `${page}/calendar.ics`);
    assert.equal(confirmation.body.cancelUrl, `${page}/cancel`);
    assert.ok(!confirmation.text.includes("grace@example.com"), "no email on a page reached by link");

    const ics = await pub("GET", confirmation.body.calendarUrl);
    assert.equal(ics.status, 200, ics.text);
    assert.equal(ics.headers["content-type"], "text/calendar; charset=utf-8");
    assert.equal(ics.headers["content-disposition"], `attachment; filename="${slug}.ics"`);
    const cal = parseIcs(ics.text);
    assert.equal(cal.lines[0], "BEGIN:VCALENDAR");
    assert.equal(cal.lines.at(-1), "END:VCALENDAR");
    assert.deepEqual(cal.get("VERSION"), ["2.0"]);
    assert.deepEqual(cal.get("BEGIN").slice(0, 3), ["VCALENDAR", "VTIMEZONE", "STANDARD"]);
    assert.ok(cal.get("BEGIN").includes("VEVENT"));
    assert.match(cal.get("UID")[0] ?? "", new RegExp(`^${registrationId}@`));
    assert.match(cal.get("DTSTAMP")[0] ?? "", /^\d{8}T\d{6}Z$/);
    // In the event's zone, with its VTIMEZONE; the local times are the event's own.
    const local = (s: string) => s.slice(0, 19).replace(/[-:]/g, "");
    assert.deepEqual(cal.get("DTSTART;TZID=Europe/Oslo"), [local(event.startsAtLocal)]);
    assert.deepEqual(cal.get("DTEND;TZID=Europe/Oslo"), [local(event.endsAtLocal)]);
    assert.deepEqual(cal.get("SEQUENCE"), ["0"]);
    assert.deepEqual(cal.get("SUMMARY").map(unescapeText), ["Launch; Q&A, live"]);
    assert.equal(cal.get("SUMMARY")[0], "Launch\\; Q&A\\, live");
    const description = unescapeText(cal.get("DESCRIPTION")[0] ?? "");
    assert.ok(description.startsWith("All about the launch.\nBring questions."), description);
    assert.equal(description.split(synced).length - 1, 1, "the join link appears once in the description");
    assert.deepEqual(cal.get("URL"), [synced]);
    assert.deepEqual(cal.get("STATUS"), ["CONFIRMED"]);

    // Cancelling through the page's link: the link goes, the calendar says so.
    const cancelled = await pub("POST", confirmation.body.cancelUrl);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.deepEqual(cancelled.body, { id: registrationId, status: "cancelled" });
    const after = await pub("GET", page);
    assert.equal(after.body.registration.status, "cancelled");
    assert.equal(after.body.joinUrl, null);
    const afterIcs = parseIcs((await pub("GET", `${page}/calendar.ics`)).text);
    assert.deepEqual(afterIcs.get("STATUS"), ["CANCELLED"]);
    assert.ok(!afterIcs.get("DESCRIPTION").join("").includes(synced));

    // The secret travels in the path: it must not reach the logs.
    assert.ok(!ctx.logs.join("").includes(token), "the registration token is in the logs");
  });

  test("someone who chose no session gets the join link of the session that is the webinar", async () => {
    const pub = client();
    const { configId } = await webinarSetup(ctx, org);
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Conference with a streamed keynote",
        startsAt: "2030-10-01T09:00",
        endsAt: "2030-10-01T17:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    assert.equal(created.status, 201, created.text);
    const session = await ctx.request("POST", `/api/v1/events/${created.body.id}/sessions`, {
      token: org.tokens.marketer,
      body: {
        title: "Keynote",
        startsAt: "2030-10-01T09:00",
        endsAt: "2030-10-01T10:00",
        format: "webinar",
        webinarConfigurationId: configId,
      },
    });
    assert.equal(session.status, 201, session.text);
    const slug = (await publish(created.body.id)).body.slug as string;
    const reg = await pub("POST", `/api/v1/public/events/${slug}/registrations`, {
      firstName: "Katherine",
      lastName: "Johnson",
      email: "katherine@example.com",
    });
    assert.equal(reg.status, 202, reg.text);
    const { registrationId, pageToken } = ctx.notices.last("registered");
    await waitUntil("registrant synced to the keynote's webinar", async () => {
      const admin = await ctx.request("GET", `/api/v1/registrations/${registrationId}`, {
        token: org.tokens.viewer,
      });
      return admin.body.webinar[0]?.state === "synced" ? true : null;
    });
    const webinar = await waitUntil("keynote webinar provisioned", async () => {
      const w = await ctx.database.db
        .selectFrom("webinars")
        .select(["join_url", "state"])
        .where("session_id", "=", session.body.id)
        .executeTakeFirst();
      return w?.state === "provisioned" && w.join_url ? w : null;
    });
    const page = await pub("GET", `/api/v1/public/registrations/${pageToken}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.joinUrl, webinar.join_url);
  });

  test("unknown tokens are 404 and malformed ones 400 naming the token, on every route", async () => {
    const pub = client();
    const unknown = "A".repeat(43);
    for (const [method, url] of [
      ["GET", `/api/v1/public/registrations/${unknown}`],
      ["GET", `/api/v1/public/registrations/${unknown}/calendar.ics`],
      ["POST", `/api/v1/public/registrations/${unknown}/cancel`],
    ] as const) {
      const res = await pub(method, url);
      assert.equal(res.status, 404, `${method} ${url}: ${res.text}`);
      assert.equal(res.body.error.code, "not_found");
    }
    const bad = await pub("GET", "/api/v1/public/registrations/x'--");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, "token");
  });

  test("the registrant's pages share the public per-address limit", async () => {
    const pub = client();
    const url = `/api/v1/public/registrations/${"B".repeat(43)}`;
    for (let i = 0; i < 25; i++) assert.equal((await pub("GET", url)).status, 404);
    const limited = await pub("GET", `${url}/calendar.ics`);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers["retry-after"]) >= 1);
  });
});
