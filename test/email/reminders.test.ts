import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { publishedEvent, registered } from "../helpers/events.ts";
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

const HOUR = 3_600_000;
/** A header line as sent (mailparser turns List-Unsubscribe into an object; the raw text is what clients read). */
const rawHeader = (mail: ReceivedMail, name: string) =>
  mail.raw
    .split("\r\n\r\n")[0]
    ?.replace(/\r\n[ \t]+/g, " ")
    .split("\r\n")
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    ?.slice(name.length + 1)
    .trim();

forEachBackend("registrant reminders with a controlled clock", (ctx, backend) => {
  let org: TestOrg;
  const at = (local: string) => `${local}@${backend}.example.com`;
  const sweep = (t: number) => ctx.services.reminders.sendDue(new Date(t));

  async function event(title: string, language: string, startsAt: Date) {
    const endsAt = new Date(startsAt.getTime() + HOUR);
    return (
      await publishedEvent(ctx, org, {
        title,
        language,
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
        timeZone: "Europe/Oslo",
      })
    ).id;
  }
  async function register(eventId: string, local: string, firstName: string) {
    return (await registered(ctx, org, eventId, { firstName, lastName: "Reminded", email: at(local) })).id;
  }
  const settle = () => new Promise((r) => setTimeout(r, 500));

  before(async () => {
    org = await ctx.createOrg("Reminder org");
    await ctx.services.emailSender?.start();
  });

  test("24 h and 1 h before, in the event's zone; none for the cancelled; none twice; unsubscribe honoured", async (t) => {
    const starts = new Date(Math.ceil((Date.now() + 5 * 24 * HOUR) / HOUR) * HOUR);
    const eventId = await event("Quarterly briefing", "en", starts);
    await register(eventId, "rem-a", "Astrid");
    await register(eventId, "rem-b", "Bjørn");
    const gone = await register(eventId, "rem-c", "Cato");
    assert.equal(
      (await ctx.request("POST", `/api/v1/registrations/${gone}/cancel`, { token: org.tokens.marketer }))
        .status,
      200,
    );

    assert.equal(await sweep(starts.getTime() - 25 * HOUR), 0, "nothing is due 25 h before");
    assert.equal(
      await sweep(starts.getTime() - 24 * HOUR + 60_000),
      2,
      "the 24 h reminder, to the two registered",
    );
    assert.equal(
      await sweep(starts.getTime() - 24 * HOUR + 120_000),
      0,
      "a second sweep sends nothing again",
    );
    const [first] = await eventually(async () =>
      smtp.to(at("rem-a")).length ? smtp.to(at("rem-a")) : undefined,
    );
    assert.ok(first);
    t.diagnostic(`reminder as received:\n${describeMail(first)}`);
    await eventually(async () => smtp.to(at("rem-b")).length === 1);
    assert.equal(first.parsed.subject, "Reminder: Quarterly briefing");
    const local = new Intl.DateTimeFormat("en-GB", { timeStyle: "short", timeZone: "Europe/Oslo" }).format(
      starts,
    );
    assert.match(first.parsed.text ?? "", new RegExp(`starts .* at ${local} \\(Europe/Oslo\\)`));
    const listUnsubscribe = rawHeader(first, "List-Unsubscribe") ?? "";
    assert.match(
      listUnsubscribe,
      /^<http:\/\/localhost:3000\/api\/v1\/public\/unsubscribe\/[A-Za-z0-9_-]{43}>$/,
    );
    assert.equal(rawHeader(first, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert.ok(
      (first.parsed.text ?? "").includes(listUnsubscribe.slice(1, -1)),
      "the link is in the text too",
    );

    // A GET (a scanner, a click) changes nothing; the one-click POST unsubscribes Astrid.
    const path = new URL(listUnsubscribe.slice(1, -1)).pathname;
    const page = await ctx.request("GET", path);
    assert.equal(page.status, 200);
    assert.match(page.text, /method="post"/);
    const oneClick = await ctx.request("POST", path, {
      raw: "List-Unsubscribe=One-Click",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(oneClick.status, 200, oneClick.text);
    assert.equal(
      (await ctx.request("POST", "/api/v1/public/unsubscribe/not-a-real-token-at-all")).status,
      404,
    );

    assert.equal(await sweep(starts.getTime() - HOUR + 60_000), 1, "the 1 h reminder, to Bjørn only");
    await eventually(async () => smtp.to(at("rem-b")).length === 2);
    await settle();
    assert.equal(smtp.to(at("rem-a")).length, 1, "Astrid unsubscribed");
    assert.equal(smtp.to(at("rem-c")).length, 0, "Cato cancelled");
    assert.equal(await sweep(starts.getTime() + 60_000), 0, "nothing after the start");
  });

  test("Norsk bokmål, and only the nearest reminder for someone who registers late", async () => {
    const starts = new Date(Math.ceil((Date.now() + 6 * 24 * HOUR) / HOUR) * HOUR);
    const eventId = await event("Fagdag", "nb", starts);
    await register(eventId, "sen", "Siri");
    // Registered 30 minutes before the start: both offsets are due; one reminder only.
    assert.equal(await sweep(starts.getTime() - 30 * 60_000), 1);
    const [mail] = await eventually(async () => (smtp.to(at("sen")).length ? smtp.to(at("sen")) : undefined));
    assert.ok(mail);
    assert.equal(mail.parsed.subject, "Påminnelse: Fagdag");
    assert.match(mail.parsed.text ?? "", /Hei Siri,/);
    assert.match(mail.parsed.text ?? "", /Ingen flere påminnelser/);
    assert.equal(await sweep(starts.getTime() - 20 * 60_000), 0);
    await settle();
    assert.equal(smtp.to(at("sen")).length, 1);
  });

  test("follow-up after the event: attended and no-show told apart, with List-Unsubscribe, once", async () => {
    const starts = new Date(Math.ceil((Date.now() + 8 * 24 * HOUR) / HOUR) * HOUR);
    const ends = starts.getTime() + HOUR;
    const eventId = await event("Workshop", "en", starts);
    const came = await register(eventId, "came", "Cora");
    await register(eventId, "absent", "Dag");
    const gone = await register(eventId, "left", "Eli");
    await ctx.request("POST", `/api/v1/registrations/${gone}/cancel`, { token: org.tokens.marketer });
    const checkIn = await ctx.request("POST", `/api/v1/events/${eventId}/check-ins`, {
      token: org.tokens.marketer,
      body: { registrationId: came },
    });
    assert.equal(checkIn.status, 201, checkIn.text);

    // The earlier tests' events ended before this one: count this event's messages only.
    const followUps = async () =>
      (
        await ctx.database.db
          .selectFrom("email_messages as m")
          .innerJoin("registrations as r", "r.id", "m.registration_id")
          .select("m.kind")
          .where("r.event_id", "=", eventId)
          .where("m.kind", "like", "registration.follow_up%")
          .execute()
      )
        .map((m) => m.kind)
        .sort();
    await ctx.services.reminders.sendFollowUps(new Date(ends + HOUR));
    assert.deepEqual(await followUps(), [], "not before 2 h after the end");
    await ctx.services.reminders.sendFollowUps(new Date(ends + 2 * HOUR + 60_000));
    const expected = ["registration.follow_up_attended", "registration.follow_up_missed"];
    assert.deepEqual(await followUps(), expected);
    await ctx.services.reminders.sendFollowUps(new Date(ends + 3 * HOUR));
    assert.deepEqual(await followUps(), expected, "once");
    const [thanks] = await eventually(async () =>
      smtp.to(at("came")).length ? smtp.to(at("came")) : undefined,
    );
    const [missed] = await eventually(async () =>
      smtp.to(at("absent")).length ? smtp.to(at("absent")) : undefined,
    );
    assert.equal(thanks?.parsed.subject, "Thank you for joining Workshop");
    assert.equal(missed?.parsed.subject, "Sorry we missed you at Workshop");
    assert.ok(thanks && missed);
    for (const mail of [thanks, missed]) {
      assert.match(
        rawHeader(mail, "List-Unsubscribe") ?? "",
        /^<http:\/\/localhost:3000\/api\/v1\/public\/unsubscribe\//,
      );
      assert.equal(rawHeader(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    }
    await settle();
    assert.equal(smtp.to(at("left")).length, 0, "the cancelled get no follow-up");
  });
});
