import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { publishedEvent } from "../helpers/events.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  describeMail,
  eventually,
  type ReceivedMail,
  startTestSmtp,
  type TestSmtp,
} from "../helpers/smtp.ts";

let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Auditorium <events@auditorium.test>";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "200";
});
after(async () => smtp.stop());

/** RFC 5545 unfolding, then each property's values by name (with parameters). */
function icsProps(ics: string) {
  const map = new Map<string, string[]>();
  for (const line of ics
    .replace(/\r\n[ \t]/g, "")
    .split("\r\n")
    .filter(Boolean)) {
    const colon = line.indexOf(":");
    map.set(line.slice(0, colon), [...(map.get(line.slice(0, colon)) ?? []), line.slice(colon + 1)]);
  }
  return (name: string) => map.get(name) ?? [];
}

forEachBackend("registrant messages over real SMTP", (ctx, backend) => {
  let org: TestOrg;
  const at = (local: string) => `${local}@${backend}.example.com`;
  const mailTo = (address: string, count = 1) =>
    eventually(async () => {
      const got = smtp.to(address);
      return got.length >= count ? got : undefined;
    });
  /** Messages may arrive in any order (the worker sends in parallel): find one by subject. */
  const withSubject = (mails: ReceivedMail[], subject: string) => {
    const found = mails.find((m) => m.parsed.subject === subject);
    assert.ok(found, `no message "${subject}" among ${mails.map((m) => m.parsed.subject).join(", ")}`);
    return found;
  };
  const linkIn = (mail: ReceivedMail, path: RegExp) => {
    const found = (mail.parsed.text ?? "").match(path);
    assert.ok(found, `no ${path} in:\n${mail.parsed.text}`);
    return found[0];
  };

  const publicEvent = (fields: Record<string, unknown>) =>
    publishedEvent(ctx, org, {
      endsAt: "2030-09-10T10:30",
      timeZone: "Europe/Oslo",
      format: "webinar",
      ...fields,
    });
  const submit = (slug: string, body: Record<string, unknown>) =>
    ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, { body });

  before(async () => {
    org = await ctx.createOrg("Fjord Events");
    await ctx.services.emailSender?.start();
  });

  test("registration confirmation in English: personal join link, page link and the .ics", async (t) => {
    const { slug } = await publicEvent({ title: "Launch webinar", language: "en" });
    const res = await submit(slug, { firstName: "Ada", lastName: "Lovelace", email: at("ada") });
    assert.equal(res.status, 202, res.text);
    const [mail] = await mailTo(at("ada"));
    assert.ok(mail);
    t.diagnostic(`confirmation as received:\n${describeMail(mail)}`);
    assert.deepEqual(mail.to, [at("ada")]);
    assert.equal(mail.parsed.subject, "You are registered: Launch webinar");
    const text = mail.parsed.text ?? "";
    assert.match(text, /Hello Ada,/);
    assert.match(text, /Tuesday, 10 September 2030 at 09:00 \(Europe\/Oslo\)/);
    assert.match(mail.parsed.html || "", /Fjord Events/);
    const join = linkIn(
      mail,
      /http:\/\/localhost:3000\/api\/v1\/public\/registrations\/[A-Za-z0-9_-]{43}\/join/,
    );
    const page = linkIn(mail, /http:\/\/localhost:3000\/r\/[A-Za-z0-9_-]{43}/);
    const token = page.split("/r/")[1] as string;
    assert.ok(join.includes(token), "the join link and the page are the same registration");
    // The plain text gives the join line once (the button's), not again as the line beside it.
    assert.equal(text.split(join).length - 1, 1, `the join link once in:\n${text}`);
    assert.equal(text.match(/Join the webinar/g)?.length, 1, `"Join the webinar" once in:\n${text}`);
    assert.equal(
      (mail.parsed.html || "").split(join.replace(/&/g, "&amp;")).length - 1,
      2,
      "button and line in HTML",
    );

    const { registrationId } = ctx.notices.last("registered");
    const [ics] = mail.parsed.attachments;
    assert.ok(ics, "an .ics is attached");
    assert.equal(ics.contentType, "text/calendar");
    assert.equal(ics.filename, `${slug}.ics`);
    const cal = icsProps(ics.content.toString("utf8"));
    assert.deepEqual(cal("UID"), [`${registrationId}@localhost`]);
    assert.deepEqual(cal("SEQUENCE"), ["0"]);
    assert.deepEqual(cal("DTSTART;TZID=Europe/Oslo"), ["20300910T090000"]);
    assert.deepEqual(cal("TZID"), ["Europe/Oslo"]);
    assert.ok(cal("DESCRIPTION")[0]?.includes(join), "the join link is in the calendar entry");

    // The personal join link works before the provider issued one: it leads to the page.
    const followed = await ctx.request("GET", new URL(join).pathname);
    assert.equal(followed.status, 302);
    assert.equal(followed.headers.location, `/r/${token}`);

    // The outbox shows the message with the secret masked; the registration lists it.
    const listed = await ctx.request("GET", `/api/v1/email/messages?registrationId=${registrationId}`, {
      token: org.tokens.admin,
    });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.data.length, 1);
    assert.equal(listed.body.data[0].kind, "registration.confirmation");
    const shown = await ctx.request("GET", `/api/v1/email/messages/${listed.body.data[0].id}`, {
      token: org.tokens.admin,
    });
    assert.ok(!shown.text.includes(token), "the outbox never shows the page token");
  });

  test("double opt-in in Norsk bokmål: the confirmation link, then the confirmation with the .ics", async () => {
    const { id, slug } = await publicEvent({ title: "Fagdag", language: "nb" });
    await ctx.request("PATCH", `/api/v1/events/${id}/registrant-settings`, {
      token: org.tokens.marketer,
      body: { doubleOptIn: true },
    });
    await submit(slug, { firstName: "Nils", lastName: "Nordmann", email: at("nils") });
    const [ask] = await mailTo(at("nils"));
    assert.ok(ask);
    assert.equal(ask.parsed.subject, "Bekreft påmeldingen din: Fagdag");
    assert.match(ask.parsed.text ?? "", /Hei Nils,/);
    assert.match(ask.parsed.text ?? "", /tirsdag 10\. september 2030/);
    assert.equal(ask.parsed.attachments.length, 0, "nothing to put in a calendar yet");
    const confirmUrl = linkIn(ask, /http:\/\/localhost:3000\/c\/[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(ask.parsed.text ?? "", /\/r\/|\/join/, "no page or join link before the click");

    const clicked = await ctx.request("POST", "/api/v1/public/registrations/confirm", {
      body: { token: confirmUrl.split("/c/")[1] },
    });
    assert.equal(clicked.status, 200, clicked.text);
    const confirmed = withSubject(await mailTo(at("nils"), 2), "Du er påmeldt: Fagdag");
    assert.equal(confirmed.parsed.text?.match(/Bli med på webinaret/g)?.length, 1, "the join line once");
    linkIn(confirmed, /http:\/\/localhost:3000\/api\/v1\/public\/registrations\/[A-Za-z0-9_-]{43}\/join/);
    const cal = icsProps(
      confirmed.parsed.attachments.find((a) => a.contentType === "text/calendar")?.content.toString("utf8") ??
        "",
    );
    assert.deepEqual(cal("SEQUENCE"), ["0"]);
    assert.deepEqual(cal("DTSTART;TZID=Europe/Oslo"), ["20300910T090000"]);
  });

  test("a second submission for the same address: a notice to that address, no secret in it", async () => {
    const { slug } = await publicEvent({ title: "Repeat day", language: "en" });
    await submit(slug, { firstName: "Rita", lastName: "Repeat", email: at("rita") });
    await submit(slug, { firstName: "Mallory", lastName: "Other", email: at("rita") });
    const notice = withSubject(await mailTo(at("rita"), 2), "You are already registered: Repeat day");
    assert.deepEqual(notice.to, [at("rita")]);
    assert.match(notice.parsed.text ?? "", /Hello Rita,/, "the contact's own name, not the typist's");
    assert.doesNotMatch(notice.parsed.text ?? "", /[A-Za-z0-9_-]{43}/, "no token");
  });

  test("cancelling: the canceller's notice with a CANCELLED .ics; the waitlisted person's promotion with a fresh page link", async () => {
    const { slug } = await publicEvent({
      title: "Small room",
      language: "en",
      capacity: 1,
      format: "onsite",
    });
    await submit(slug, { firstName: "Anne", lastName: "First", email: at("anne") });
    await submit(slug, { firstName: "Bo", lastName: "Second", email: at("bo") });
    const [anneMail] = await mailTo(at("anne"));
    const [boWaiting] = await mailTo(at("bo"));
    assert.ok(anneMail && boWaiting);
    assert.equal(boWaiting.parsed.subject, "You are on the waiting list: Small room");
    assert.equal(boWaiting.parsed.attachments.length, 0, "no calendar entry without a place");
    const oldBoPage = linkIn(boWaiting, /http:\/\/localhost:3000\/r\/[A-Za-z0-9_-]{43}/);
    const annePage = linkIn(anneMail, /http:\/\/localhost:3000\/r\/[A-Za-z0-9_-]{43}/);
    const anneUid = icsProps(
      anneMail.parsed.attachments.find((a) => a.contentType === "text/calendar")?.content.toString("utf8") ??
        "",
    )("UID");
    // On site: the confirmation carries the check-in QR code (inline PNG), the waitlisted notice none.
    const qr = anneMail.parsed.attachments.find((a) => a.contentType === "image/png");
    assert.equal(qr?.cid, "check-in-code", "the on-site confirmation carries the check-in QR code");
    assert.ok(qr?.content.subarray(1, 4).toString("latin1") === "PNG");

    const token = annePage.split("/r/")[1] as string;
    const cancelled = await ctx.request("POST", `/api/v1/public/registrations/${token}/cancel`);
    assert.equal(cancelled.status, 200, cancelled.text);

    const notice = withSubject(await mailTo(at("anne"), 2), "Your registration is cancelled: Small room");
    const cal = icsProps(
      notice.parsed.attachments.find((a) => a.contentType === "text/calendar")?.content.toString("utf8") ??
        "",
    );
    assert.deepEqual(cal("UID"), anneUid, "the same calendar entry");
    assert.deepEqual(cal("STATUS"), ["CANCELLED"]);

    const promoted = withSubject(
      await mailTo(at("bo"), 2),
      "A place opened up: you are registered for Small room",
    );
    assert.match(promoted.parsed.text ?? "", /Hello Bo,/);
    const newBoPage = linkIn(promoted, /http:\/\/localhost:3000\/r\/[A-Za-z0-9_-]{43}/);
    assert.notEqual(newBoPage, oldBoPage);
    const page = await ctx.request("GET", `/api/v1/public/registrations/${newBoPage.split("/r/")[1]}`);
    assert.equal(page.body.registration.status, "registered");
    assert.equal(
      (await ctx.request("GET", `/api/v1/public/registrations/${oldBoPage.split("/r/")[1]}`)).status,
      404,
      "the waitlist message's link is replaced",
    );
    assert.deepEqual(
      icsProps(
        promoted.parsed.attachments
          .find((a) => a.contentType === "text/calendar")
          ?.content.toString("utf8") ?? "",
      )("STATUS"),
      ["CONFIRMED"],
    );
  });

  test("reschedule and event cancellation: notices with the updated .ics (same UID, SEQUENCE up), once", async () => {
    const { id, slug } = await publicEvent({ title: "Moving day", language: "en", format: "onsite" });
    await submit(slug, { firstName: "Mona", lastName: "Mover", email: at("mona") });
    const [confirmed] = await mailTo(at("mona"));
    assert.ok(confirmed);
    const before = icsProps(
      confirmed.parsed.attachments.find((a) => a.contentType === "text/calendar")?.content.toString("utf8") ??
        "",
    );
    assert.deepEqual(before("SEQUENCE"), ["0"]);

    const moved = await ctx.request("PATCH", `/api/v1/events/${id}`, {
      token: org.tokens.marketer,
      body: { startsAt: "2030-09-12T13:00", endsAt: "2030-09-12T14:30" },
    });
    assert.equal(moved.status, 200, moved.text);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job
      where name = 'registration.event_changed' and data->>'eventId' = ${id}`.execute(ctx.database.db);
    assert.ok((rows[0]?.n ?? 0) >= 1, "the change queued its notice job");
    assert.equal(await ctx.services.eventNotices.run(id), 1);
    assert.equal(await ctx.services.eventNotices.run(id), 0, "a second run sends nothing");
    const notice = withSubject(await mailTo(at("mona"), 2), "New time: Moving day");
    assert.match(notice.parsed.text ?? "", /Thursday, 12 September 2030 at 13:00 \(Europe\/Oslo\)/);
    const after = icsProps(
      notice.parsed.attachments.find((a) => a.contentType === "text/calendar")?.content.toString("utf8") ??
        "",
    );
    assert.deepEqual(after("UID"), before("UID"));
    assert.deepEqual(after("SEQUENCE"), ["1"]);
    assert.deepEqual(after("DTSTART;TZID=Europe/Oslo"), ["20300912T130000"]);

    assert.equal(
      (await ctx.request("POST", `/api/v1/events/${id}/cancel`, { token: org.tokens.marketer })).status,
      200,
    );
    assert.equal(await ctx.services.eventNotices.run(id), 1);
    const cancelled = withSubject(await mailTo(at("mona"), 3), "Cancelled: Moving day");
    const last = icsProps(
      cancelled.parsed.attachments.find((a) => a.contentType === "text/calendar")?.content.toString("utf8") ??
        "",
    );
    assert.deepEqual(last("SEQUENCE"), ["2"]);
    assert.deepEqual(last("STATUS"), ["CANCELLED"]);
    assert.deepEqual(last("UID"), before("UID"));
  });
});
