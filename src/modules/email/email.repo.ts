import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { EmailAttachment, EmailMessageRow, EmailState, RenderLater } from "../../db/schema-email.ts";

type Executor = Db | Transaction<Database>;

export interface NewEmailRow {
  id: string;
  organizationId: string | null;
  kind: string;
  language: "en" | "nb";
  recipient: string;
  subject: string;
  html: string;
  text: string;
  previewHtml: string | null;
  previewText: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; content: string }[];
  registrationId: string | null;
  userId: string | null;
  state: Extract<EmailState, "queued" | "kept">;
  render: RenderLater | null;
}

export interface EmailListFilter {
  organizationId: string;
  registrationId?: string | undefined;
  userId?: string | undefined;
  state?: EmailState | undefined;
  /** Newest first: rows with an id below this one. */
  before?: string | undefined;
  limit: number;
}

/** The data access of the email outbox; the sender and the service own the rules. */
export function createEmailRepo(deps: { db: Db }) {
  const { db } = deps;
  return {
    async insert(executor: Executor, rows: NewEmailRow[]) {
      if (rows.length === 0) return;
      await executor
        .insertInto("email_messages")
        .values(
          rows.map((m) => ({
            id: m.id,
            organization_id: m.organizationId,
            kind: m.kind,
            language: m.language,
            recipient: m.recipient,
            subject: m.subject,
            html: m.html,
            text_body: m.text,
            preview_html: m.previewHtml,
            preview_text: m.previewText,
            headers: JSON.stringify(m.headers),
            attachments: JSON.stringify(m.attachments),
            registration_id: m.registrationId,
            user_id: m.userId,
            state: m.state,
            render: m.render === null ? null : JSON.stringify(m.render),
            updated_at: new Date(),
          })),
        )
        .execute();
    },

    /**
     * Stores the bodies of a message written to render later; the first renderer wins (a
     * second one, racing, finds `render` already null and changes nothing). Returns the row.
     */
    async storeRendered(
      executor: Executor,
      id: string,
      bodies: {
        html: string;
        text: string;
        previewHtml: string | null;
        previewText: string | null;
        attachments: EmailAttachment[];
      },
    ): Promise<EmailMessageRow | undefined> {
      const stored = await executor
        .updateTable("email_messages")
        .set({
          html: bodies.html,
          text_body: bodies.text,
          preview_html: bodies.previewHtml,
          preview_text: bodies.previewText,
          attachments: JSON.stringify(bodies.attachments),
          render: null,
          updated_at: new Date(),
        })
        .where("id", "=", id)
        .where("render", "is not", null)
        .returningAll()
        .executeTakeFirst();
      return (
        stored ??
        (await executor.selectFrom("email_messages").selectAll().where("id", "=", id).executeTakeFirst())
      );
    },

    async list(filter: EmailListFilter) {
      return db
        .selectFrom("email_messages")
        .select([
          "id",
          "kind",
          "language",
          "recipient",
          "subject",
          "state",
          "attempts",
          "last_error",
          "server_message_id",
          "registration_id",
          "user_id",
          "created_at",
          "updated_at",
          "sent_at",
          "next_attempt_at",
        ])
        .where("organization_id", "=", filter.organizationId)
        .$if(filter.registrationId !== undefined, (q) =>
          q.where("registration_id", "=", filter.registrationId as string),
        )
        .$if(filter.userId !== undefined, (q) => q.where("user_id", "=", filter.userId as string))
        .$if(filter.state !== undefined, (q) => q.where("state", "=", filter.state as EmailState))
        .$if(filter.before !== undefined, (q) => q.where("id", "<", filter.before as string))
        .orderBy("id", "desc")
        .limit(filter.limit + 1)
        .execute();
    },

    async get(organizationId: string, id: string) {
      return db
        .selectFrom("email_messages")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .where("id", "=", id)
        .executeTakeFirst();
    },

    async find(id: string) {
      return db.selectFrom("email_messages").selectAll().where("id", "=", id).executeTakeFirst();
    },

    /**
     * Takes the message for one try: only a queued or deferred message that no other worker
     * holds. The hold lasts `leaseSeconds`; a worker that dies mid-send leaves it to run out.
     */
    async claim(id: string, leaseSeconds: number): Promise<EmailMessageRow | undefined> {
      return db
        .updateTable("email_messages")
        .set({
          attempts: sql`attempts + 1`,
          claimed_until: sql`now() + make_interval(secs => ${leaseSeconds})`,
          updated_at: new Date(),
        })
        .where("id", "=", id)
        .where("state", "in", ["queued", "deferred"])
        .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", sql<Date>`now()`)]))
        .returningAll()
        .executeTakeFirst();
    },

    async markSent(executor: Executor, id: string, serverMessageId: string) {
      const now = new Date();
      await executor
        .updateTable("email_messages")
        .set({
          state: "sent",
          server_message_id: serverMessageId,
          sent_at: now,
          updated_at: now,
          claimed_until: null,
          next_attempt_at: null,
          last_error: null,
        })
        .where("id", "=", id)
        .execute();
    },

    async markDeferred(
      executor: Executor,
      id: string,
      change: { reason: string; nextAttemptAt: Date; refundAttempt: boolean },
    ) {
      await executor
        .updateTable("email_messages")
        .set({
          state: "deferred",
          last_error: change.reason,
          next_attempt_at: change.nextAttemptAt,
          claimed_until: null,
          updated_at: new Date(),
          ...(change.refundAttempt && { attempts: sql`greatest(attempts - 1, 0)` }),
        })
        .where("id", "=", id)
        .execute();
    },

    async markFailed(executor: Executor, id: string, reason: string) {
      await executor
        .updateTable("email_messages")
        .set({
          state: "failed",
          last_error: reason,
          claimed_until: null,
          next_attempt_at: null,
          updated_at: new Date(),
        })
        .where("id", "=", id)
        .execute();
    },
  };
}

export type EmailRepo = ReturnType<typeof createEmailRepo>;
