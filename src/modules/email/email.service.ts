/**
 * The email core: the outbox every message goes through.
 *
 * How a module sends a message:
 *
 *   const branding = await email.branding(trx, organizationId);   // name, logo URL, colour
 *   const rendered = await renderEmail(subject, layout({ language, branding, preview, children }));
 *   await email.enqueue(trx, { organizationId, to, kind, language, ...rendered, registrationId });
 *
 * - `enqueue(trx, message | message[])` writes the row(s) and the `email.send` job(s) in the
 *   caller's transaction (transactional outbox): a message exists exactly when the business
 *   change commits, and is never lost once it does. Returns the message ids.
 * - `hidden`: secret values in the bodies (sign-in tokens). They are sent, but the outbox
 *   API shows the message with them masked, so no reader of the outbox can use them.
 * - `headers` (`List-Unsubscribe`, …) and text `attachments` (an `.ics`) travel as given.
 * - `registrationId` / `userId` link the message to the registration or member whose state
 *   page lists it (`GET /api/v1/email/messages?registrationId=…`).
 * - With no SMTP server configured (`delivery: "kept"`) messages are stored in state `kept`
 *   and no job is queued: development keeps everything to look at, nothing leaves.
 *
 * Sending, states and retries: email.sender.ts. Templates: templates/layout.ts.
 */
import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { EmailAttachment, EmailLanguage, EmailMessageRow, EmailState } from "../../db/schema-email.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { EmailListFilter, EmailRepo } from "./email.repo.ts";
import { ACCOUNT_BRANDING, type Branding, DEFAULT_BRAND_COLOR } from "./templates/layout.ts";

type Executor = Db | Transaction<Database>;

/** Every kind of message. A new message adds its kind here (the outbox filters and shows it). */
export const EMAIL_KINDS = [
  "member.invitation",
  "account.sign_in_link",
  "account.password_reset",
  "registration.confirmation",
  "registration.confirm_request",
  "registration.already_registered",
  "registration.reminder",
  "registration.promoted",
  "registration.cancelled",
  "registration.rescheduled",
  "registration.event_cancelled",
  "registration.follow_up_attended",
  "registration.follow_up_missed",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** What a template registered with `renderLater` makes of its facts. */
export interface LaterBodies {
  html: string;
  text: string;
  attachments?: EmailAttachment[];
}

interface Bodies {
  html: string;
  text: string;
  attachments?: EmailAttachment[];
}

/**
 * The bodies now, or the facts for a template to render them later (`later`): the request
 * that causes the message writes the row only, and the email worker renders it before
 * sending (the confirmation's React render, calendar file and QR code were most of a public
 * registration's CPU; docs/performance.md). The facts are what the message says, taken when
 * it is written: it reads the same as if it had been rendered then.
 */
type BodiesNowOrLater = Bodies | { later: { template: string; facts: unknown } };

export type EmailMessage = BodiesNowOrLater & {
  /** Null for account messages (sign-in link, password reset), which belong to no organization. */
  organizationId: string | null;
  to: string;
  kind: EmailKind;
  language: EmailLanguage;
  subject: string;
  hidden?: string[];
  headers?: Record<string, string>;
  registrationId?: string | null;
  userId?: string | null;
};

const MASK = "••••••";
const mask = (body: string, hidden: string[]) =>
  hidden.reduce((b, secret) => b.split(secret).join(MASK), body);

/** A value that would end a header line and start another (header injection). */
const breaksLine = (v: string) => /[\r\n]/.test(v);

export function createEmailService(deps: {
  db: Db;
  queue: Pick<JobQueue, "sendMany">;
  repo: EmailRepo;
  /** `smtp`: queue for the sender; `kept`: no SMTP configured, store only. */
  delivery: "smtp" | "kept";
}) {
  const { db, queue, repo, delivery } = deps;
  const templates = new Map<string, (facts: unknown) => Promise<LaterBodies>>();

  /**
   * A message written to render later, rendered and stored (once: a second caller gets the
   * stored row); any other message as it is. The email worker calls it before sending, the
   * outbox before showing a message that no worker sends (`kept`).
   */
  async function rendered(row: EmailMessageRow): Promise<EmailMessageRow> {
    if (row.render === null) return row;
    const template = templates.get(row.render.template);
    if (!template) throw new Error(`email template ${row.render.template} is not registered`);
    const bodies = await template(row.render.facts);
    const hidden = row.render.hidden;
    return (
      (await repo.storeRendered(db, row.id, {
        html: bodies.html,
        text: bodies.text,
        previewHtml: hidden.length ? mask(bodies.html, hidden) : null,
        previewText: hidden.length ? mask(bodies.text, hidden) : null,
        attachments: bodies.attachments ?? [],
      })) ?? row
    );
  }

  return {
    delivery,

    /** Registers the template that renders messages written with `later: { template: name }`. */
    renderLater(name: string, template: (facts: unknown) => Promise<LaterBodies>) {
      templates.set(name, template);
    },

    rendered,

    async enqueue(trx: Executor, input: EmailMessage | EmailMessage[]): Promise<string[]> {
      const messages = Array.isArray(input) ? input : [input];
      const rows = messages.map((m) => {
        if (breaksLine(m.to) || !m.to.includes("@")) throw new Error("email recipient is not one address");
        if (breaksLine(m.subject)) throw new Error("email subject spans lines");
        for (const [name, value] of Object.entries(m.headers ?? {}))
          if (breaksLine(name) || breaksLine(value)) throw new Error(`email header ${name} spans lines`);
        const hidden = (m.hidden ?? []).filter((s) => s.length > 0);
        const now = "later" in m ? { html: "", text: "", attachments: [] } : m;
        if ("later" in m && !templates.has(m.later.template))
          throw new Error(`email template ${m.later.template} is not registered`);
        return {
          id: uuidv7(),
          organizationId: m.organizationId,
          kind: m.kind,
          language: m.language,
          recipient: m.to,
          subject: m.subject,
          html: now.html,
          text: now.text,
          previewHtml: hidden.length && !("later" in m) ? mask(now.html, hidden) : null,
          previewText: hidden.length && !("later" in m) ? mask(now.text, hidden) : null,
          headers: m.headers ?? {},
          attachments: now.attachments ?? [],
          render: "later" in m ? { ...m.later, hidden } : null,
          registrationId: m.registrationId ?? null,
          userId: m.userId ?? null,
          state: delivery === "kept" ? ("kept" as const) : ("queued" as const),
        };
      });
      await repo.insert(trx, rows);
      if (delivery === "smtp")
        await queue.sendMany(
          trx,
          "email.send",
          rows.map((r) => ({ messageId: r.id })),
        );
      return rows.map((r) => r.id);
    },

    /** The organization's look; account messages (no organization) use Auditorium's. */
    async branding(executor: Executor, organizationId: string | null): Promise<Branding> {
      if (organizationId === null) return ACCOUNT_BRANDING;
      const org = await executor
        .selectFrom("organizations")
        .select(["name", "logo_url", "brand_color"])
        .where("id", "=", organizationId)
        .executeTakeFirstOrThrow();
      return {
        organizationName: org.name,
        logoUrl: org.logo_url,
        color: org.brand_color ?? DEFAULT_BRAND_COLOR,
      };
    },

    list(filter: EmailListFilter) {
      return repo.list(filter);
    },

    /** One message as its recipient sees it, secret links masked. */
    async get(organizationId: string, id: string) {
      const stored = await repo.get(organizationId, id);
      if (!stored) throw notFound("Email message");
      const row = await rendered(stored);
      return { ...row, html: row.preview_html ?? row.html, text_body: row.preview_text ?? row.text_body };
    },

    /** Counts per state, for the outbox page's summary. */
    async counts(organizationId: string) {
      const rows = await db
        .selectFrom("email_messages")
        .select(["state", db.fn.countAll<number>().as("n")])
        .where("organization_id", "=", organizationId)
        .groupBy("state")
        .execute();
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) as Partial<
        Record<EmailState, number>
      >;
    },
  };
}

export type EmailService = ReturnType<typeof createEmailService>;
