import nodemailer from "nodemailer";
import { eventually, startTestSmtp } from "../test/helpers/smtp.ts";
import {
  type BenchResult,
  buildBenchApp,
  call,
  createBenchDatabase,
  createOrg,
  createRegistrations,
  log,
  num,
  type Options,
  round,
} from "./lib.ts";

/**
 * Reminder throughput: an event starting in 12 hours with `--count` registered people (10,000),
 * whose 24-hour reminders the real sweep (`Reminders.sendDue`) renders and enqueues through
 * the outbox, and the real worker sends over pooled SMTP connections to an in-process
 * smtp-server (STARTTLS + AUTH, as in the tests). Against it, the simplest correct script:
 * the same stored reminders, one at a time, sequentially, each on a connection of its own
 * (handshake, STARTTLS, AUTH, send, quit), for `--sample` of them (1,000; `--sample 10000`
 * sends them all), its rate taken from those. `--rate` is the shared limit (messages/s) the
 * worker runs under (1000).
 */
export async function run(options: Options): Promise<BenchResult> {
  const count = num(options, "count", 10_000);
  const sample = Math.min(count, num(options, "sample", 1000));
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
    const startsAt = new Date(Date.now() + 12 * 3600_000);
    const created = await call(app.app, "POST", "/api/v1/events", org.token, {
      title: "Bench briefing",
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "onsite",
    });
    const eventId = (created.body as { id: string }).id;
    await call(app.app, "POST", `/api/v1/events/${eventId}/publish`, org.token);

    log(`email: registering ${count} people`);
    await createRegistrations(services, org.id, eventId, count, "reminded");

    log(`email: the reminder sweep renders and enqueues ${count} reminders`);
    const r0 = performance.now();
    const swept = await services.reminders.sendDue(new Date());
    const sweepMs = performance.now() - r0;
    if (swept !== count) throw new Error(`the sweep enqueued ${swept} reminders, not ${count}`);

    log(`email: the worker sends ${count} reminders`);
    const s0 = performance.now();
    await services.emailSender?.start();
    await eventually(async () => {
      const row = await db
        .selectFrom("email_messages")
        .select(db.fn.countAll<number>().as("n"))
        .where("kind", "=", "registration.reminder")
        .where("state", "=", "sent")
        .executeTakeFirstOrThrow();
      return Number(row.n) >= count ? true : undefined;
    }, 3_600_000);
    const sendMs = performance.now() - s0;
    const received = smtp.accepted;

    log(`email: ${sample} of the same reminders one at a time, a connection each`);
    const stored = await db
      .selectFrom("email_messages")
      .select(["recipient", "subject", "html", "text_body", "headers"])
      .where("kind", "=", "registration.reminder")
      .limit(sample)
      .execute();
    const o0 = performance.now();
    for (const m of stored) {
      const transport = nodemailer.createTransport(smtp.url);
      await transport.sendMail({
        from: "Bench <bench@auditorium.test>",
        to: m.recipient,
        subject: m.subject,
        html: m.html,
        text: m.text_body,
        headers: m.headers,
      });
      transport.close();
    }
    const oneMs = (performance.now() - o0) / stored.length;

    const outboxPerSecond = count / (sendMs / 1000);
    const onePerSecond = 1000 / oneMs;
    return {
      name: "email",
      rows: [
        ["reminders", count, "24-hour reminders of one event, rendered by the sweep"],
        ["sweep (s)", round(sweepMs / 1000, 1), "render + List-Unsubscribe token + enqueue, per event"],
        ["outbox send (s)", round(sendMs / 1000, 1), `worker, pooled SMTP, shared limit ${rate}/s`],
        ["outbox messages/s", round(outboxPerSecond)],
        ["received by the server", received, "exactly the count: nothing lost, nothing twice"],
        [
          "one at a time (ms/message)",
          round(oneMs, 2),
          `${stored.length} sent, sequential, a connection each`,
        ],
        ["one at a time messages/s", round(onePerSecond)],
        ["one at a time, all (s)", round((count * oneMs) / 1000, 1), "at that rate"],
        ["outbox / one at a time", round(outboxPerSecond / onePerSecond, 2)],
      ],
      json: {
        count,
        sample: stored.length,
        rate,
        sweepMs,
        sendMs,
        received,
        oneMs,
        outboxPerSecond,
        onePerSecond,
        ratio: outboxPerSecond / onePerSecond,
      },
    };
  } finally {
    await app.close();
    await bench.drop();
    await smtp.stop();
  }
}
