import type { ColumnType, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string | undefined, string>;

/**
 * queued → sent | deferred | failed; deferred → sent | deferred | failed. `kept`: no SMTP is
 * configured (development), the message is stored for the outbox page and never sent.
 */
export type EmailState = "queued" | "deferred" | "sent" | "failed" | "kept";
export type EmailLanguage = "en" | "nb";

export interface EmailAttachment {
  filename: string;
  contentType: string;
  /** UTF-8 text (an .ics), or base64 when `encoding` says so (the check-in QR code's PNG). */
  content: string;
  encoding?: "base64";
  /** Content-ID, so the HTML body can show the image inline (`cid:…`). */
  cid?: string;
}

/**
 * A message to render later (migration 0197): the template registered under `template`
 * (`email.renderLater`) renders `facts`; `hidden` are the secrets the outbox masks.
 */
export interface RenderLater {
  template: string;
  facts: unknown;
  hidden: string[];
}

export interface EmailMessagesTable {
  id: string;
  /** Null for account messages (sign-in link, password reset), which no organization may read. */
  organization_id: string | null;
  kind: string;
  language: EmailLanguage;
  recipient: string;
  subject: string;
  html: string;
  text_body: string;
  /** The bodies the outbox shows when they differ: secret links hidden. Null: same as sent. */
  preview_html: string | null;
  preview_text: string | null;
  headers: Json<Record<string, string>>;
  attachments: Json<EmailAttachment[]>;
  registration_id: string | null;
  user_id: string | null;
  state: EmailState;
  attempts: ColumnType<number, number | undefined, number>;
  /** A worker holds the message until then; after it, a crashed send is tried again. */
  claimed_until: Timestamp | null;
  next_attempt_at: Timestamp | null;
  last_error: string | null;
  server_message_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
  /** Set while the bodies and attachments are still to be rendered (then empty); null once rendered. */
  render: ColumnType<RenderLater | null, string | null | undefined, string | null>;
}

export interface EmailRateBucketsTable {
  account: string;
  /** The next free slot (migration 0200); src/jobs/rate-limiter.ts. */
  next_slot_at: Timestamp;
}

export interface EmailTables {
  email_messages: EmailMessagesTable;
  email_rate_buckets: EmailRateBucketsTable;
}

export type EmailMessageRow = Selectable<EmailMessagesTable>;
