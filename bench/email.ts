import nodemailer from "nodemailer";
import { invitationEmail } from "../src/modules/access/access.emails.ts";
import type { EmailMessage } from "../src/modules/email/email.service.ts";
import { eventually, startTestSmtp } from "../test/helpers/smtp.ts";
import {
  type BenchResult,
  buildBenchApp,
  createBenchDatabase,
  createOrg,
  log,
  num,
  type Options,
  round,
} from "./lib.ts";

/**
 * Email throughput: `--count` messages (10,000) enqueued through the outbox and sent by the
 * worker over pooled SMTP connections to an in-process smtp-server (STARTTLS + AUTH, as in the
 * tests), against the simplest correct script — one message at a time, each on a connection
 * of its own (handshake, STARTTLS, AUTH, send, quit) — for `--sample` messages (300),
 * extrapolated. `--rate` is the shared limit (messages/s) the worker runs under (1000).
 */
export async function run(options: Options): Promise<BenchResult> {
  const count = num(options, "count", 10_000);
  const sample = Math.min(count, num(options, "sample", 300));
  const rate = num(options, "rate", 1000);
  const smtp = await startTestSmtp({ parse: false });
  const bench = await createBenchDatabase(10);
  const app = await buildBenchApp(bench.database, {
    AUDITORIUM_SMTP_URL: smtp.url,
    AUDITORIUM_MAIL_FROM: "Bench <bench@auditorium.test>",
    AUDITORIUM_SMTP_RATE_PER_SECOND: String(rate),
  });
  try {
    const { services } = app;
    const { db } = bench.database;
    const org = await createOrg(bench.database, services);
    const branding = await services.email.branding(db, org.id);
    const rendered = await invitationEmail({
      language: "en",
      branding,
      inviteeName: "Bench Person",
      role: "viewer",
      url: "https://auditorium.example/auth/invitation?token=bench",
      expiresAt: new Date(Date.now() + 7 * 24 * 3600_000),
    });
    const message = (i: number): EmailMessage => ({
      organizationId: org.id,
      to: `person-${i}@bench.example.com`,
      kind: "member.invitation",
      language: "en",
      ...rendered,
    });

    log(`email: enqueueing ${count} messages`);
    const e0 = performance.now();
    for (let i = 0; i < count; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, count - i) }, (_, k) => message(i + k));
      await db.transaction().execute((trx) => services.email.enqueue(trx, batch));
    }
    const enqueueMs = performance.now() - e0;

    log(`email: sending ${count} through the worker`);
    const s0 = performance.now();
    await services.emailSender?.start();
    await eventually(async () => {
      const row = await db
        .selectFrom("email_messages")
        .select(db.fn.countAll<number>().as("n"))
        .where("state", "=", "sent")
        .executeTakeFirstOrThrow();
      return Number(row.n) >= count ? true : undefined;
    }, 3_600_000);
    const sendMs = performance.now() - s0;
    const received = smtp.accepted;

    log(`email: ${sample} messages one at a time, a connection each`);
    const o0 = performance.now();
    for (let i = 0; i < sample; i++) {
      const transport = nodemailer.createTransport(smtp.url);
      await transport.sendMail({
        from: "Bench <bench@auditorium.test>",
        to: `single-${i}@bench.example.com`,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
      });
      transport.close();
    }
    const oneMs = (performance.now() - o0) / sample;

    const outboxPerSecond = count / (sendMs / 1000);
    const onePerSecond = 1000 / oneMs;
    return {
      name: "email",
      rows: [
        ["messages", count],
        ["enqueue (ms)", round(enqueueMs), "rows + jobs, 1000 per transaction"],
        ["outbox send (s)", round(sendMs / 1000, 2), `worker, pooled SMTP, shared limit ${rate}/s`],
        ["outbox messages/s", round(outboxPerSecond)],
        ["received by the server", received, "exactly the count: nothing lost, nothing twice"],
        ["one at a time (ms/message)", round(oneMs, 2), `${sample} sent, a connection each`],
        ["one at a time messages/s", round(onePerSecond)],
        ["one at a time, extrapolated (s)", round((count * oneMs) / 1000, 1)],
        ["speed-up", round(outboxPerSecond / onePerSecond, 2)],
      ],
      json: { count, sample, rate, enqueueMs, sendMs, received, oneMs, outboxPerSecond, onePerSecond },
    };
  } finally {
    await app.close();
    await bench.drop();
    await smtp.stop();
  }
}
