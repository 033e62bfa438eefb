import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server in the test process (smtp-server): STARTTLS with the package's own test
 * certificate, and AUTH required — refused on a plain connection, so a client that logs in
 * has upgraded first. Every accepted message is parsed with mailparser.
 *
 * `respond` decides per message (by recipient): accept, or an SMTP error code.
 */
export interface ReceivedMail {
  parsed: ParsedMail;
  /** The envelope recipients. */
  to: string[];
  /** The connection was TLS (STARTTLS) when the message came. */
  secure: boolean;
  user: string | undefined;
  raw: string;
}

export type Answer = "accept" | { code: number; message: string };

export const SMTP_USER = "mailer";
export const SMTP_PASSWORD = "smtp-test-password";

export async function startTestSmtp(
  options: { port?: number /** false: count only (benchmarks) */; parse?: boolean } = {},
) {
  const received: ReceivedMail[] = [];
  let respond: (to: string[]) => Answer = () => "accept";
  let counter = 0;
  let server: SMTPServer | null = null;
  let port = options.port ?? 0;

  function create() {
    return new SMTPServer({
      secure: false,
      authMethods: ["PLAIN", "LOGIN"],
      // AUTH on a plain connection is refused: the client must STARTTLS first.
      allowInsecureAuth: false,
      logger: false,
      // "Down" means down at once: open pool connections are cut, not given 30 s to finish.
      closeTimeout: 50,
      onAuth(auth, _session, callback) {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD)
          return callback(null, { user: auth.username });
        return callback(new Error("Invalid username or password"));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", async () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          const answer = respond(to);
          if (answer !== "accept") {
            const error = new Error(answer.message) as Error & { responseCode: number };
            error.responseCode = answer.code;
            return callback(error);
          }
          counter += 1;
          if (options.parse === false) return callback(null, `Ok: queued as TEST${counter}`);
          const raw = Buffer.concat(chunks).toString("utf8");
          received.push({
            parsed: await simpleParser(raw),
            to,
            secure: session.secure,
            user: session.user as string | undefined,
            raw,
          });
          callback(null, `Ok: queued as TEST${counter}`);
        });
      },
    });
  }

  async function listen() {
    server = create();
    server.on("error", () => {});
    const s = server;
    await new Promise<void>((resolve) => s.listen(port, "127.0.0.1", () => resolve()));
    port = (s.server.address() as AddressInfo).port;
  }

  await listen();
  return {
    received,
    /** Messages accepted, parsed or not. */
    get accepted() {
      return counter;
    },
    get port() {
      return port;
    },
    /** The URL Auditorium is configured with: STARTTLS required, the test certificate trusted. */
    get url() {
      return `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}/?requireTLS=true&tls.rejectUnauthorized=false`;
    },
    respondWith(fn: (to: string[]) => Answer) {
      respond = fn;
    },
    /** Stops listening and drops open connections: the server is down. */
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    /** Back up on the same port. */
    async start() {
      if (!server) await listen();
    },
    to(address: string) {
      return received.filter((m) => m.to.includes(address));
    },
  };
}

export type TestSmtp = Awaited<ReturnType<typeof startTestSmtp>>;

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The message as its recipient's server received it, for the test's report: the header block
 * (secret tokens in links shortened) and the plain text. Printed as test diagnostics, so a run
 * shows what people actually get.
 */
export function describeMail(mail: ReceivedMail): string {
  const headerEnd = mail.raw.indexOf("\r\n\r\n");
  const headers = mail.raw
    .slice(0, headerEnd < 0 ? undefined : headerEnd)
    .split(/\r\n(?![ \t])/)
    .filter((h) => /^(From|To|Subject|Date|Message-ID|List-Unsubscribe[-\w]*|Content-Type):/i.test(h));
  const redact = (s: string) => s.replace(/([A-Za-z0-9_-]{12})[A-Za-z0-9_-]{20,}/g, "$1…");
  return redact([...headers, "", mail.parsed.text ?? ""].join("\n"));
}
