import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { hashToken, newSecretToken } from "../../lib/ids.ts";
import type { EmailKind, EmailService } from "../email/email.service.ts";
import type { RenderedEmail } from "../email/templates/layout.ts";
import type { JoinLinkOf, RecordingLinkOf } from "./registrant-notices.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";
import { eventFacts, followUp, messageLanguage, reminder } from "./registrant-templates.ts";

const BATCH = 500;
/** `registration_reminders.offset_minutes` of the follow-up (reminders are positive minutes before the start). */
const FOLLOW_UP = -1;
const FOLLOW_UP_AFTER_MS = 2 * 3_600_000;
const FOLLOW_UP_WINDOW_MS = 7 * 86_400_000;
/** The longest offset the settings allow (30 days): events further out need no look yet. */
const HORIZON_MS = 43_200 * 60_000;

/**
 * Reminders before an event, at the organization's offsets (default 24 h and 1 h), sent by
 * a sweep (`sendDue(now)`, every minute, reminder-sweep.ts) with the clock passed
 * in, so tests control it. Rules:
 * - only `registered` people of a published event that has not started (cancelled people
 *   and cancelled events get none), only where Auditorium is the sender (one sender, never
 *   two), never to a contact who unsubscribed;
 * - at most one reminder per sweep and person: when several offsets are due at once (someone
 *   registered an hour before), only the nearest is sent and the others count as sent;
 * - each (registration, offset) is recorded in `registration_reminders` in the transaction
 *   that enqueues the message, and only rows this sweep inserted are sent, so overlapping
 *   sweeps never send one twice;
 * - every reminder carries `List-Unsubscribe` (a one-click URL with a fresh token, stored
 *   hashed) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
 * Times are shown in the event's zone; offsets are durations before the start instant.
 */
export function createReminders(deps: {
  db: Db;
  email: Pick<EmailService, "enqueue" | "branding">;
  senders: Pick<RegistrantSettingsService, "auditoriumSends">;
  /** The registrant's join link (the webinar module's one rule), passed in by the composition root. */
  joinLinkOf: JoinLinkOf;
  /** The recording link for the follow-up (the webinar module's same rule), from the composition root. */
  recordingLinkOf: RecordingLinkOf;
  publicUrl: string;
}) {
  const { db, email, senders, joinLinkOf, recordingLinkOf } = deps;
  const base = deps.publicUrl.replace(/\/$/, "");

  /** A fresh one-click token for one message (stored hashed), its URL and the RFC 8058 headers. */
  async function unsubscribeFor(trx: Transaction<Database>, registrationId: string) {
    const token = newSecretToken();
    await trx
      .insertInto("unsubscribe_tokens")
      .values({ token_hash: hashToken(token), registration_id: registrationId })
      .execute();
    const url = `${base}/api/v1/public/unsubscribe/${token}`;
    return {
      token,
      url,
      headers: { "List-Unsubscribe": `<${url}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
    };
  }

  /** Registered people of an event not yet sent `offset`, who did not unsubscribe; claims them (see above). */
  async function claim(trx: Transaction<Database>, eventId: string, offset: number, alsoDone: number[] = []) {
    const due = await trx
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select((eb) => [
        "r.id",
        "r.event_id",
        "r.status",
        "r.attended_minutes",
        "c.email",
        "c.first_name",
        eb
          .exists(
            eb.selectFrom("check_ins as ci").select("ci.id").whereRef("ci.registration_id", "=", "r.id"),
          )
          .as("checked_in"),
      ])
      .where("r.event_id", "=", eventId)
      .where("r.status", "=", "registered")
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("registration_reminders as rr")
              .select("rr.registration_id")
              .whereRef("rr.registration_id", "=", "r.id")
              .where("rr.offset_minutes", "=", offset),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("contact_unsubscribes as u")
              .select("u.contact_id")
              .whereRef("u.contact_id", "=", "c.id"),
          ),
        ),
      )
      .orderBy("r.id")
      .limit(BATCH)
      .execute();
    if (due.length === 0) return { due, mine: new Set<string>() };
    const claimed = await trx
      .insertInto("registration_reminders")
      .values(
        due.flatMap((r) => [offset, ...alsoDone].map((o) => ({ registration_id: r.id, offset_minutes: o }))),
      )
      .onConflict((oc) => oc.columns(["registration_id", "offset_minutes"]).doNothing())
      .returning(["registration_id", "offset_minutes"])
      .execute();
    return {
      due,
      mine: new Set(claimed.filter((c) => c.offset_minutes === offset).map((c) => c.registration_id)),
    };
  }

  type Claimed = Awaited<ReturnType<typeof claim>>["due"][number];
  /** The parts every reminder and follow-up shares, as the templates take them. */
  type SharedParts = Omit<Parameters<typeof reminder>[0], "joinUrl">;
  /** What one registrant gets: the kind of message and its text, built on the shared parts. */
  type Compose = (
    trx: Transaction<Database>,
    registrant: Claimed,
    shared: SharedParts,
  ) => Promise<{ kind: EmailKind; rendered: RenderedEmail }>;

  /**
   * Sends one message (a reminder, or the follow-up) to everyone of the event claimed for
   * `offset`, a batch to a transaction until a batch comes back short; answers how many
   * registrations were looked at. Reminders and follow-ups differ only in what `compose` makes.
   */
  async function sendForEvent(
    event: {
      id: string;
      organization_id: string;
      title: string;
      slug: string;
      starts_at: Date;
      time_zone: string;
      language: string;
      format: string;
    },
    offset: number,
    alsoDone: number[],
    compose: Compose,
  ): Promise<number> {
    let sent = 0;
    for (;;) {
      const count = await db.transaction().execute(async (trx) => {
        const { due, mine } = await claim(trx, event.id, offset, alsoDone);
        if (due.length === 0) return 0;
        const language = messageLanguage(event.language);
        const branding = await email.branding(trx, event.organization_id);
        const facts = eventFacts(event);
        for (const r of due.filter((d) => mine.has(d.id))) {
          const unsubscribe = await unsubscribeFor(trx, r.id);
          const { kind, rendered } = await compose(trx, r, {
            language,
            branding,
            firstName: r.first_name,
            event: facts,
            eventUrl: `${base}/e/${event.slug}`,
            unsubscribeUrl: unsubscribe.url,
          });
          await email.enqueue(trx, {
            organizationId: event.organization_id,
            to: r.email,
            kind,
            language,
            ...rendered,
            hidden: [unsubscribe.token],
            headers: unsubscribe.headers,
            registrationId: r.id,
          });
        }
        return due.length;
      });
      sent += count;
      if (count < BATCH) return sent;
    }
  }

  const composeReminder: Compose = async (trx, r, shared) => ({
    kind: "registration.reminder",
    rendered: await reminder({ ...shared, joinUrl: await joinLinkOf(trx, r) }),
  });

  const composeFollowUp: Compose = async (trx, r, shared) => {
    const attended = r.attended_minutes > 0 || Boolean(r.checked_in);
    return {
      kind: attended ? "registration.follow_up_attended" : "registration.follow_up_missed",
      // Attendees and no-shows alike: watching again, or for the first time.
      rendered: await followUp({ ...shared, attended, recordingUrl: await recordingLinkOf(trx, r) }),
    };
  };

  return {
    /** Sends every reminder due at `now`; answers how many registrations were looked at. */
    async sendDue(now = new Date()): Promise<number> {
      const events = await db
        .selectFrom("events as e")
        .leftJoin("registrant_settings as s", "s.organization_id", "e.organization_id")
        .select([
          "e.id",
          "e.organization_id",
          "e.title",
          "e.slug",
          "e.starts_at",
          "e.time_zone",
          "e.language",
          "e.format",
          sql<number[]>`coalesce(s.reminder_offsets_minutes, '{1440,60}')`.as("offsets"),
        ])
        .where("e.status", "=", "published")
        .where("e.starts_at", ">", now)
        .where("e.starts_at", "<=", new Date(now.getTime() + HORIZON_MS))
        .orderBy("e.starts_at")
        .execute();
      let total = 0;
      for (const event of events) {
        const due = event.offsets.filter((o) => event.starts_at.getTime() - o * 60_000 <= now.getTime());
        if (due.length === 0) continue;
        if (!(await senders.auditoriumSends(db, event.id))) continue;
        const nearest = Math.min(...due);
        total += await sendForEvent(
          event,
          nearest,
          due.filter((o) => o !== nearest),
          composeReminder,
        );
      }
      return total;
    },

    /**
     * Follow-ups, 2 hours after the end (attendance needs the provider's publication lag),
     * for events that ended within the last 7 days: "thank you" to those who attended
     * (webinar minutes or a check-in), "sorry we missed you" to the others. Same rules as
     * reminders (registered only, Auditorium the sender, unsubscribes honoured, never twice);
     * recorded as offset -1 in `registration_reminders`.
     */
    async sendFollowUps(now = new Date()): Promise<number> {
      const events = await db
        .selectFrom("events")
        .selectAll()
        .where("status", "=", "published")
        .where("ends_at", "<=", new Date(now.getTime() - FOLLOW_UP_AFTER_MS))
        .where("ends_at", ">", new Date(now.getTime() - FOLLOW_UP_WINDOW_MS))
        .orderBy("ends_at")
        .execute();
      let total = 0;
      for (const event of events) {
        if (!(await senders.auditoriumSends(db, event.id))) continue;
        total += await sendForEvent(event, FOLLOW_UP, [], composeFollowUp);
      }
      return total;
    },

    /** RFC 8058 one-click: the token's contact gets no more reminders or follow-ups. */
    async unsubscribe(token: string): Promise<void> {
      const row = await db
        .selectFrom("unsubscribe_tokens as t")
        .innerJoin("registrations as r", "r.id", "t.registration_id")
        .select(["r.contact_id", "r.organization_id"])
        .where("t.token_hash", "=", hashToken(token))
        .executeTakeFirst();
      if (!row) throw new AppError(404, "not_found", "This unsubscribe link is unknown");
      await db
        .insertInto("contact_unsubscribes")
        .values({ contact_id: row.contact_id, organization_id: row.organization_id })
        .onConflict((oc) => oc.column("contact_id").doNothing())
        .execute();
    },
  };
}

export type Reminders = ReturnType<typeof createReminders>;
