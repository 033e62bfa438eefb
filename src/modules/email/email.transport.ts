import { createHash } from "node:crypto";
import type { Transporter } from "nodemailer";
import type { EmailAttachment } from "../../db/schema-email.ts";

/** One message as the SMTP server receives it. */
export interface OutgoingMail {
  /** Our Message-ID (`<id@host>`): the same on every try, so a receiver can tell a repeat. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments: EmailAttachment[];
}

/** How one try ended, in the terms the sender acts on. */
export type SendOutcome =
  /** Accepted; the id the server named in its answer (`queued as …`), else its whole answer. */
  | { kind: "sent"; serverMessageId: string }
  /** A 4xx answer: try again later; the try counts towards the attempt limit. */
  | { kind: "deferred"; reason: string }
  /** Server unreachable, TLS or login refused: nothing was said about the message, so it waits without spending an attempt. */
  | { kind: "unavailable"; reason: string }
  /** A 5xx answer: the server will never take this message. */
  | { kind: "failed"; reason: string };

export interface MailTransport {
  /** The shared rate bucket's key: a digest of host, port and user, never the password. */
  account: string;
  send(mail: OutgoingMail): Promise<SendOutcome>;
  close(): void;
}

/**
 * nodemailer over one SMTP URL: `smtp://` (STARTTLS whenever the server offers it; add
 * `?requireTLS=true` to refuse plain text), `smtps://` (TLS from the first byte), AUTH from
 * the URL's user and password. Other nodemailer options come as query parameters
 * (`?tls.servername=…`). Pooled connections: a worker's sends share a few open sessions
 * instead of a TCP + TLS + AUTH handshake per message (bench/email.ts measures the gain).
 */
export function createSmtpTransport(options: { url: string; maxConnections?: number }): MailTransport {
  const url = new URL(options.url);
  const defaults: Record<string, string> = {
    pool: "true",
    maxConnections: String(options.maxConnections ?? 5),
    maxMessages: "1000",
    // A server that stops answering must end the try well before the claim runs out (60 s).
    connectionTimeout: "10000",
    greetingTimeout: "10000",
    socketTimeout: "30000",
  };
  for (const [key, value] of Object.entries(defaults))
    if (!url.searchParams.has(key)) url.searchParams.set(key, value);
  // nodemailer is loaded with the first message, not at start: a server that sends no mail
  // keeps it out of its memory (docs/performance.md).
  let transporter: Transporter | undefined;
  const open = async () => {
    if (!transporter) {
      const { default: nodemailer } = await import("nodemailer");
      transporter ??= nodemailer.createTransport(url.toString());
    }
    return transporter;
  };
  return {
    account: smtpAccountKey(options.url),
    async send(mail) {
      try {
        const info = await (await open()).sendMail({
          messageId: mail.messageId,
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          headers: mail.headers,
          attachments: mail.attachments.map((a) => ({
            filename: a.filename,
            contentType: a.contentType,
            content: a.content,
            ...(a.encoding ? { encoding: a.encoding } : {}),
            ...(a.cid ? { cid: a.cid } : {}),
          })),
        });
        return { kind: "sent", serverMessageId: serverMessageId(String(info.response ?? "")) };
      } catch (error) {
        return classifySmtpError(error);
      }
    },
    close() {
      transporter?.close();
    },
  };
}

export function smtpAccountKey(smtpUrl: string): string {
  const u = new URL(smtpUrl);
  const port = u.port || (u.protocol === "smtps:" ? "465" : "587");
  const user = decodeURIComponent(u.username);
  return createHash("sha256").update(`${u.hostname}:${port}:${user}`).digest("hex").slice(0, 32);
}

/** `250 2.0.0 Ok: queued as 4Fq1x` → `4Fq1x`; servers that name no id: their whole answer. */
export function serverMessageId(response: string): string {
  const named = /queued as\s+<?([^\s>]+)>?/i.exec(response) ?? /\bid=<?([^\s>]+)>?/i.exec(response);
  return (named?.[1] ?? response).slice(0, 500);
}

/**
 * An SMTP answer decides by its class (RFC 5321 §4.2.1): 4xx transient, 5xx permanent.
 * A login refused (even with 535) is the account's problem, not the message's: failing every
 * queued message for a wrong password would lose them all, so it waits like an outage.
 */
export function classifySmtpError(error: unknown): SendOutcome {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const reason = (e.response ?? e.message ?? String(error)).slice(0, 500);
  if (e.code === "EAUTH") return { kind: "unavailable", reason: `login refused: ${reason}` };
  const code = e.responseCode;
  if (typeof code === "number" && code >= 500 && code < 600) return { kind: "failed", reason };
  if (typeof code === "number" && code >= 400 && code < 500) return { kind: "deferred", reason };
  return { kind: "unavailable", reason };
}
