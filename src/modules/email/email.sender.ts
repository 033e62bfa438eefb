import type { Db } from "../../db/database.ts";
import type { EmailMessageRow } from "../../db/schema-email.ts";
import type { JobPayloads } from "../../jobs/job-kinds.ts";
import { type JobQueue, type JobWorker, startWorkers } from "../../jobs/queue.ts";
import type { SharedRateLimiter } from "../../jobs/rate-limiter.ts";
import type { Logger } from "../../lib/logger.ts";
import type { EmailRepo } from "./email.repo.ts";
import type { MailTransport, SendOutcome } from "./email.transport.ts";

export interface SenderTuning {
  /** Tries that reach the server (4xx answers) before a message is failed. */
  maxAttempts: number;
  /** Sends per second per SMTP account, across every process. */
  ratePerSecond: number;
  /** First wait after a 4xx or an outage; doubles per try up to `maxBackoffSeconds`. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
  /** How long one try holds a message; longer than the transport's timeouts together. */
  leaseSeconds: number;
  /** `email.send` jobs one process runs at once. */
  concurrency: number;
}

export const DEFAULT_SENDER_TUNING: SenderTuning = {
  maxAttempts: 8,
  ratePerSecond: 10,
  backoffSeconds: 30,
  maxBackoffSeconds: 900,
  leaseSeconds: 60,
  concurrency: 10,
};

/** How long a job may wait in the process for its rate slot before it steps back into the queue. */
const MAX_RATE_WAIT_MS = 5_000;

/**
 * The worker side of the outbox: the `email.send` handler.
 *
 * One try: message still pending? → a slot of the shared rate limit → claim (attempts + 1,
 * held for `leaseSeconds`) → SMTP → record the outcome, and for a retry enqueue the next
 * job, in one transaction. Jobs carry the id only and re-read the row, so a duplicate or
 * late job finds the message sent and does nothing.
 *
 * At least once, not exactly once: if the process dies after the server accepted the message
 * and before `sent` is committed, the claim runs out, pg-boss runs the job again and the
 * message is sent a second time. The window is one SMTP answer and one UPDATE long; the
 * second copy carries the same Message-ID, which lets receivers and clients drop it.
 * The other way round (never sent, marked sent) cannot happen: `sent` is written only after
 * the server's 250.
 */
export function createEmailSender(deps: {
  db: Db;
  queue: Pick<JobQueue, "send" | "work">;
  repo: EmailRepo;
  transport: MailTransport;
  limiter: SharedRateLimiter;
  from: string;
  /** The host part of our Message-IDs (the public URL's host). */
  messageIdHost: string;
  logger?: Logger | undefined;
  tuning?: Partial<SenderTuning>;
  /** Renders a message written to render later (`email.rendered`); the request that wrote it did not. */
  render?: (message: EmailMessageRow) => Promise<EmailMessageRow>;
}) {
  const { db, queue, repo, transport, limiter, from, logger } = deps;
  const tuning = { ...DEFAULT_SENDER_TUNING, ...deps.tuning };
  const backoff = (n: number) =>
    Math.min(tuning.maxBackoffSeconds, tuning.backoffSeconds * 2 ** Math.max(0, n));

  async function record(message: EmailMessageRow, outcome: SendOutcome, unavailable: number) {
    await db.transaction().execute(async (trx) => {
      switch (outcome.kind) {
        case "sent":
          return repo.markSent(trx, message.id, outcome.serverMessageId);
        case "failed":
          return repo.markFailed(trx, message.id, outcome.reason);
        case "deferred": {
          if (message.attempts >= tuning.maxAttempts)
            return repo.markFailed(
              trx,
              message.id,
              `attempts exhausted (${message.attempts}): ${outcome.reason}`,
            );
          const wait = backoff(message.attempts - 1);
          await repo.markDeferred(trx, message.id, {
            reason: outcome.reason,
            nextAttemptAt: new Date(Date.now() + wait * 1000),
            refundAttempt: false,
          });
          return queue.send(trx, "email.send", { messageId: message.id }, { startAfterSeconds: wait });
        }
        case "unavailable": {
          // The server said nothing about the message: it waits, however long the outage.
          const wait = backoff(unavailable);
          await repo.markDeferred(trx, message.id, {
            reason: outcome.reason,
            nextAttemptAt: new Date(Date.now() + wait * 1000),
            refundAttempt: true,
          });
          return queue.send(
            trx,
            "email.send",
            { messageId: message.id, unavailable: unavailable + 1 },
            { startAfterSeconds: wait },
          );
        }
      }
    });
  }

  async function handle(data: JobPayloads["email.send"]) {
    const current = await repo.find(data.messageId);
    if (!current || (current.state !== "queued" && current.state !== "deferred")) return;
    const slot = await limiter.acquire(transport.account, tuning.ratePerSecond, MAX_RATE_WAIT_MS);
    if (!slot) {
      // Too many messages ahead in the shared bucket: step back instead of holding the job.
      await queue.send(db, "email.send", data, { startAfterSeconds: 1 });
      return;
    }
    const claimed = await repo.claim(data.messageId, tuning.leaseSeconds);
    if (!claimed) {
      const now = await repo.find(data.messageId);
      if (now && (now.state === "queued" || now.state === "deferred"))
        // Another worker holds it (or a crashed one did): pg-boss retries this job after the hold.
        throw new Error("email message is being sent by another worker");
      return;
    }
    // Rendered under the claim, so two workers do not both render one message.
    const message = deps.render ? await deps.render(claimed) : claimed;
    const outcome = await transport.send({
      messageId: `<${message.id}@${deps.messageIdHost}>`,
      from,
      to: message.recipient,
      subject: message.subject,
      html: message.html,
      text: message.text_body,
      headers: message.headers,
      attachments: message.attachments,
    });
    // Ids and outcomes only: addresses and bodies are personal data.
    if (outcome.kind !== "sent")
      logger?.warn(
        { emailId: message.id, outcome: outcome.kind, attempt: message.attempts },
        "email not sent",
      );
    await record(message, outcome, data.unavailable ?? 0);
  }

  const worker: JobWorker<"email.send"> = { concurrency: tuning.concurrency, handle: (data) => handle(data) };
  return {
    handle,
    /** This module's part of the process's job workers (src/workers.ts registers them all). */
    worker,
    /** Starts only the email worker: for tests that need no other job kind. */
    start: () => startWorkers(queue, { "email.send": worker }),
    close() {
      transport.close();
    },
  };
}

export type EmailSender = ReturnType<typeof createEmailSender>;
