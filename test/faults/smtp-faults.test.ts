import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";

/**
 * SMTP faults during a send-out: one answer in ten is a 4xx, and the server goes down three
 * times while the worker sends. Nothing may be lost (every message ends `sent` and reached
 * the server). A second copy is possible only in the documented at-least-once window — the
 * server took the message but the connection was cut before its 250 was read — so copies
 * are bounded by the cuts times the open connections, and every copy carries the same
 * Message-ID.
 */
const COUNT = 300;
const CUTS = 3;
const POOL = 5;

let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Faults <faults@auditorium.test>";
  testEnv.AUDITORIUM_SMTP_RETRY_SECONDS = "1";
  testEnv.AUDITORIUM_SMTP_MAX_ATTEMPTS = "30";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "500";
});
after(async () => smtp.stop());

forEachBackend("SMTP faults during a send-out", (ctx, backend) => {
  test(`${COUNT} messages through 4xx answers and ${CUTS} outages: all sent, none lost`, async () => {
    const org = await ctx.createOrg("Faults org");
    let answers = 0;
    smtp.respondWith(() =>
      ++answers % 10 === 0 ? { code: 421, message: "4.3.2 Try again later" } : "accept",
    );
    const { db } = ctx.database;
    const recipients = Array.from({ length: COUNT }, (_, i) => `fault-${i}@${backend}.example.com`);
    const ids = await db.transaction().execute((trx) =>
      ctx.services.email.enqueue(
        trx,
        recipients.map((to) => ({
          organizationId: org.id,
          to,
          kind: "member.invitation" as const,
          language: "en" as const,
          subject: "Fault drill",
          html: "<p>Fault drill</p>",
          text: "Fault drill",
        })),
      ),
    );
    await ctx.services.emailSender?.start();
    for (let cut = 0; cut < CUTS; cut++) {
      await new Promise((r) => setTimeout(r, 400));
      await smtp.stop();
      await new Promise((r) => setTimeout(r, 1000));
      await smtp.start();
    }
    await eventually(async () => {
      const row = await db
        .selectFrom("email_messages")
        .select(db.fn.countAll<number>().as("n"))
        .where("id", "in", ids)
        .where("state", "=", "sent")
        .executeTakeFirstOrThrow();
      return Number(row.n) === COUNT ? true : undefined;
    }, 240_000);

    const byMessageId = new Map<string, number>();
    for (const mail of smtp.received.filter((m) => m.to[0]?.endsWith(`@${backend}.example.com`)))
      byMessageId.set(mail.parsed.messageId ?? "", (byMessageId.get(mail.parsed.messageId ?? "") ?? 0) + 1);
    for (const id of ids)
      assert.ok(byMessageId.has(`<${id}@localhost>`), `message ${id} never reached the server`);
    const copies = [...byMessageId.values()].reduce((a, n) => a + n - 1, 0);
    assert.ok(copies <= CUTS * POOL, `${copies} second copies for ${CUTS} cuts`);
    const failed = await db.selectFrom("email_messages").select("id").where("state", "=", "failed").execute();
    assert.equal(failed.length, 0);
  });
});
