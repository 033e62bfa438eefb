import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createEmailRepo } from "../../src/modules/email/email.repo.ts";
import { createEmailService, type EmailMessage } from "../../src/modules/email/email.service.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";

let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Auditorium <events@auditorium.test>";
  // Retries in whole seconds (pg-boss's granularity); production waits 30 s first.
  testEnv.AUDITORIUM_SMTP_RETRY_SECONDS = "1";
  testEnv.AUDITORIUM_SMTP_MAX_ATTEMPTS = "3";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "200";
});
after(async () => smtp.stop());

forEachBackend("email outbox over real SMTP", (ctx, backend) => {
  let org: TestOrg;
  // Both backends talk to the one test server: each suite writes to addresses of its own.
  const at = (local: string) => `${local}@${backend}.example.com`;
  const message = (to: string, over: Partial<EmailMessage> = {}): EmailMessage => ({
    organizationId: org.id,
    to,
    kind: "member.invitation",
    language: "en",
    subject: "Hello",
    html: "<p>Hello <a href='https://x.test/a?token=SECRET123'>link</a></p>",
    text: "Hello https://x.test/a?token=SECRET123",
    ...over,
  });
  const enqueue = (m: EmailMessage | EmailMessage[]) =>
    ctx.database.db.transaction().execute((trx) => ctx.services.email.enqueue(trx, m));
  const row = (id: string) =>
    ctx.database.db.selectFrom("email_messages").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const settled = (id: string, state: string) =>
    eventually(async () => {
      const r = await row(id);
      return r.state === state ? r : undefined;
    });

  before(async () => {
    org = await ctx.createOrg("Mail org");
    smtp.respondWith(() => "accept");
    await ctx.services.emailSender?.start();
  });

  test("a queued message is sent over STARTTLS with AUTH and marked sent with the server's id", async () => {
    const [id] = await enqueue(
      message(at("first"), {
        headers: { "X-Auditorium-Test": "1" },
        attachments: [
          {
            filename: "event.ics",
            contentType: "text/calendar",
            content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
          },
        ],
      }),
    );
    const sent = await settled(id as string, "sent");
    const [mail] = smtp.to(at("first"));
    assert.ok(mail, "the server received it");
    assert.equal(mail.secure, true, "STARTTLS before the message");
    assert.equal(mail.user, "mailer", "logged in");
    assert.equal(mail.parsed.subject, "Hello");
    assert.equal(mail.parsed.from?.text, '"Auditorium" <events@auditorium.test>');
    assert.match(mail.parsed.text ?? "", /token=SECRET123/);
    assert.equal(mail.parsed.headers.get("x-auditorium-test"), "1");
    assert.equal(mail.parsed.messageId, `<${id}@localhost>`);
    assert.equal(mail.parsed.attachments[0]?.filename, "event.ics");
    assert.match(sent.server_message_id ?? "", /^TEST\d+$/);
    assert.equal(sent.attempts, 1);
    assert.ok(sent.sent_at);
  });

  test("nothing is written when the business transaction rolls back", async () => {
    await assert.rejects(
      ctx.database.db.transaction().execute(async (trx) => {
        await ctx.services.email.enqueue(trx, message(at("rolled-back")));
        throw new Error("business rule refused");
      }),
    );
    const rows = await ctx.database.db
      .selectFrom("email_messages")
      .select("id")
      .where("recipient", "=", at("rolled-back"))
      .execute();
    assert.equal(rows.length, 0);
  });

  test("a 4xx answer defers the message and it is retried until sent", async () => {
    let refusals = 0;
    smtp.respondWith((to) => {
      if (to.includes(at("greylisted")) && refusals < 2) {
        refusals++;
        return { code: 451, message: "4.7.1 Greylisted, try again later" };
      }
      return "accept";
    });
    const [id] = await enqueue(message(at("greylisted")));
    const deferred = await settled(id as string, "deferred");
    assert.match(deferred.last_error ?? "", /Greylisted/);
    assert.ok(deferred.next_attempt_at);
    const sent = await settled(id as string, "sent");
    assert.equal(sent.attempts, 3);
    assert.equal(smtp.to(at("greylisted")).length, 1);
  });

  test("a 5xx answer fails the message at once, with the reason", async () => {
    smtp.respondWith((to) =>
      to.includes(at("nobody")) ? { code: 550, message: "5.1.1 Mailbox unavailable" } : "accept",
    );
    const [id] = await enqueue(message(at("nobody")));
    const failed = await settled(id as string, "failed");
    assert.match(failed.last_error ?? "", /Mailbox unavailable/);
    assert.equal(failed.attempts, 1);
  });

  test("4xx on every try fails the message once the attempts are spent", async () => {
    smtp.respondWith((to) =>
      to.includes(at("full")) ? { code: 452, message: "4.2.2 Mailbox full" } : "accept",
    );
    const [id] = await enqueue(message(at("full")));
    const failed = await settled(id as string, "failed");
    assert.equal(failed.attempts, 3);
    assert.match(failed.last_error ?? "", /attempts exhausted \(3\).*Mailbox full/);
  });

  test("the SMTP server down: nothing is lost, each message is sent once when it returns", async () => {
    smtp.respondWith(() => "accept");
    await smtp.stop();
    const recipients = [at("down-1"), at("down-2"), at("down-3")];
    const ids = await enqueue(recipients.map((to) => message(to)));
    for (const id of ids) {
      const r = await settled(id, "deferred");
      assert.equal(r.attempts, 0, "an outage spends no attempt");
    }
    await new Promise((r) => setTimeout(r, 1500));
    await smtp.start();
    for (const id of ids) await settled(id, "sent");
    // Any job still scheduled from the outage finds the message sent and does nothing.
    await new Promise((r) => setTimeout(r, 3000));
    for (const to of recipients) assert.equal(smtp.to(to).length, 1, `${to} got exactly one copy`);
  });

  test("a late duplicate job does not send again", async () => {
    smtp.respondWith(() => "accept");
    const [id] = await enqueue(message(at("dup")));
    await settled(id as string, "sent");
    await ctx.services.emailSender?.handle({ messageId: id as string });
    assert.equal(smtp.to(at("dup")).length, 1);
  });

  test("outbox API: admins list by page and filter, see masked previews; others are refused", async () => {
    const userId = org.ownerId;
    // One at a time: ids order by their millisecond, and the page order is the id order.
    const ids: string[] = [];
    for (const m of [
      message(at("page-1"), { userId }),
      message(at("page-2"), { userId, hidden: ["SECRET123"] }),
      message(at("page-3"), { userId }),
    ]) {
      ids.push(...(await enqueue(m)));
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const id of ids) await settled(id, "sent");
    const first = await ctx.request("GET", `/api/v1/email/messages?userId=${userId}&limit=2`, {
      token: org.tokens.admin,
    });
    assert.equal(first.status, 200);
    assert.equal(first.body.delivery, "smtp");
    assert.deepEqual(
      first.body.data.map((m: { recipient: string }) => m.recipient),
      [at("page-3"), at("page-2")],
    );
    const second = await ctx.request(
      "GET",
      `/api/v1/email/messages?userId=${userId}&limit=2&cursor=${first.body.nextCursor}`,
      { token: org.tokens.admin },
    );
    assert.deepEqual(
      second.body.data.map((m: { recipient: string }) => m.recipient),
      [at("page-1")],
    );
    assert.equal(second.body.nextCursor, null);

    const masked = await ctx.request("GET", `/api/v1/email/messages/${ids[1]}`, { token: org.tokens.admin });
    assert.equal(masked.status, 200);
    assert.doesNotMatch(masked.body.html, /SECRET123/);
    assert.doesNotMatch(masked.body.text, /SECRET123/);
    assert.match(masked.body.html, /token=••••••/);
    const framed = await ctx.request("GET", `/api/v1/email/messages/${ids[1]}/preview`, {
      token: org.tokens.admin,
    });
    assert.equal(framed.status, 200);
    assert.match(String(framed.headers["content-type"]), /^text\/html/);
    assert.equal(framed.text, masked.body.html, "the framed document is the masked HTML, as is");
    assert.match(String(framed.headers["content-security-policy"]), /default-src 'none'.*sandbox/);
    assert.match(smtp.to(at("page-2"))[0]?.parsed.text ?? "", /SECRET123/, "the recipient got the link");

    assert.equal(
      (await ctx.request("GET", "/api/v1/email/messages", { token: org.tokens.marketer })).status,
      403,
    );
    const other = await ctx.createOrg("Other org");
    assert.equal(
      (await ctx.request("GET", `/api/v1/email/messages/${ids[0]}`, { token: other.tokens.admin })).status,
      404,
    );
    const bad = await ctx.request("GET", "/api/v1/email/messages?state=lost", { token: org.tokens.admin });
    assert.equal(bad.status, 400);
  });

  /** An email service with no SMTP server: it keeps messages and queues no job. */
  const keptService = () =>
    createEmailService({
      db: ctx.database.db,
      queue: ctx.runtime.queue,
      repo: createEmailRepo({ db: ctx.database.db }),
      delivery: "kept",
    });

  test("with no SMTP server configured, messages are kept and no job is queued", async () => {
    const { db } = ctx.database;
    const kept = keptService();
    const [id] = await db.transaction().execute((trx) => kept.enqueue(trx, message(at("kept"))));
    const r = await row(id as string);
    assert.equal(r.state, "kept");
    const jobs = await db
      .selectFrom("pgboss.job" as never)
      .select("id" as never)
      .where("data" as never, "@>" as never, JSON.stringify({ messageId: id }) as never)
      .execute();
    assert.equal(jobs.length, 0);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(smtp.to(at("kept")).length, 0);
  });

  test("a message written to render later: the row holds its facts, the worker renders it once, then sends", async () => {
    let renders = 0;
    ctx.services.email.renderLater("test.later", async (facts) => {
      renders += 1;
      const { word } = facts as { word: string };
      return {
        html: `<p>${word} <a href='https://x.test/a?token=LATER456'>link</a></p>`,
        text: `${word} https://x.test/a?token=LATER456`,
        attachments: [{ filename: "w.txt", contentType: "text/plain", content: word }],
      };
    });
    const later = (to: string): EmailMessage => ({
      organizationId: org.id,
      to,
      kind: "member.invitation",
      language: "en",
      subject: "Later",
      later: { template: "test.later", facts: { word: "Rendered" } },
      hidden: ["LATER456"],
    });
    // Kept (no worker sends it): written with its facts and no body, rendered when the outbox shows it.
    const { db } = ctx.database;
    const kept = keptService();
    kept.renderLater("test.later", async () => {
      renders += 1;
      return { html: "<p>Kept LATER456</p>", text: "Kept LATER456" };
    });
    const [keptId] = await db.transaction().execute((trx) => kept.enqueue(trx, later(at("later-kept"))));
    const written = await row(keptId as string);
    assert.equal(written.html, "");
    assert.deepEqual(written.render, {
      template: "test.later",
      facts: { word: "Rendered" },
      hidden: ["LATER456"],
    });
    assert.equal(renders, 0, "writing the message renders nothing");
    const shown = await kept.get(org.id, keptId as string);
    assert.equal(shown.html, "<p>Kept ••••••</p>");
    assert.equal(shown.subject, "Later");
    const stored = await row(keptId as string);
    assert.equal(stored.html, "<p>Kept LATER456</p>");
    assert.equal(stored.render, null);
    await kept.get(org.id, keptId as string);
    assert.equal(renders, 1, "rendered once, then read as stored");

    // Queued: the worker renders before sending; the recipient gets the rendered message.
    const [id] = await enqueue(later(at("later-sent")));
    const sent = await settled(id as string, "sent");
    assert.equal(sent.render, null);
    assert.match(sent.html, /Rendered/);
    assert.match(sent.preview_html ?? "", /token=••••••/);
    assert.equal(renders, 2);
    const [mail] = smtp.to(at("later-sent"));
    assert.equal(mail?.parsed.subject, "Later");
    assert.match(mail?.parsed.text ?? "", /Rendered https:\/\/x\.test\/a\?token=LATER456/);
    assert.equal(mail?.parsed.attachments[0]?.content.toString("utf8"), "Rendered");
    await assert.rejects(
      enqueue({ ...later(at("later-unknown")), later: { template: "nobody", facts: {} } }),
      /not registered/,
    );
  });

  test("a header value with a line break is refused before anything is stored", async () => {
    await assert.rejects(
      enqueue(message(at("inject"), { headers: { "X-A": "1\r\nBcc: evil@example.com" } })),
    );
    await assert.rejects(enqueue(message("inject@example.com\r\nBcc: evil@example.com")));
  });

  test("organization branding: validated by the API, then carried by every organization message", async () => {
    const patch = (body: unknown) =>
      ctx.request("PATCH", "/api/v1/organization", { token: org.tokens.admin, body });
    const insecure = await patch({ logoUrl: "http://cdn.example.com/logo.png" });
    assert.equal(insecure.status, 400);
    assert.equal(insecure.body.error.field, "logoUrl");
    const colour = await patch({ brandColor: "red" });
    assert.equal(colour.status, 400);
    assert.equal(colour.body.error.field, "brandColor");
    const before = await ctx.request("GET", "/api/v1/organization", { token: org.tokens.admin });
    assert.equal(before.body.logoUrl, null, "refused patches changed nothing");
    const ok = await patch({ logoUrl: "https://cdn.example.com/logo.png", brandColor: "#AA3300" });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.brandColor, "#aa3300");
    const branding = await ctx.services.email.branding(ctx.database.db, org.id);
    assert.deepEqual(branding, {
      organizationName: "Mail org",
      logoUrl: "https://cdn.example.com/logo.png",
      color: "#aa3300",
    });
    await patch({ logoUrl: null, brandColor: null });
  });
});
