import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { RegistrantEmailSender } from "../../db/schema-registrants.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import { notFound } from "../../lib/errors.ts";
import type { AuditWrite } from "../audit/audit.service.ts";

type Executor = Db | Transaction<Database>;

export interface RegistrantSettings {
  doubleOptIn: boolean;
  confirmationExpiryHours: number;
  /** Reminders this many minutes before the event starts. */
  reminderOffsetsMinutes: number[];
}
export interface EventRegistrantSettings {
  /** null: the organization's setting applies. */
  doubleOptIn: boolean | null;
  /** Who sends the webinar's confirmations and reminders; null: the webinar account's choice. */
  registrantEmails: RegistrantEmailSender | null;
}

const DEFAULTS: RegistrantSettings = {
  doubleOptIn: false,
  confirmationExpiryHours: 48,
  reminderOffsetsMinutes: [1440, 60],
};

/**
 * How an organization treats its registrants, with an event's overrides. A missing row means
 * the defaults, so organizations that never chose keep today's behaviour.
 */
export function createRegistrantSettingsService(deps: { db: Db; queue: Pick<JobQueue, "sendMany"> }) {
  const { db, queue } = deps;

  /**
   * The provider must hear of a changed sender: the affected webinars get a new version and
   * a sync job (in this transaction), which sends the provider its email switches.
   */
  async function resyncWebinars(
    trx: Transaction<Database>,
    where: { eventId?: string; configurationId?: string },
  ) {
    let query = trx
      .updateTable("webinars")
      .set((eb) => ({ version: eb("version", "+", 1), updated_at: new Date() }))
      .where("desired", "=", "active");
    if (where.eventId) query = query.where("event_id", "=", where.eventId);
    if (where.configurationId) query = query.where("configuration_id", "=", where.configurationId);
    const ids = await query.returning("id").execute();
    await queue.sendMany(
      trx,
      "webinar.sync",
      ids.map((w) => ({ webinarId: w.id })),
    );
  }

  async function get(organizationId: string, executor: Executor = db): Promise<RegistrantSettings> {
    const row = await executor
      .selectFrom("registrant_settings")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .executeTakeFirst();
    if (!row) return { ...DEFAULTS };
    return {
      doubleOptIn: row.double_opt_in,
      confirmationExpiryHours: row.confirmation_expiry_hours,
      reminderOffsetsMinutes: row.reminder_offsets_minutes,
    };
  }

  async function assertEvent(organizationId: string, eventId: string, executor: Executor) {
    const event = await executor
      .selectFrom("events")
      .select("id")
      .where("organization_id", "=", organizationId)
      .where("id", "=", eventId)
      .executeTakeFirst();
    if (!event) throw notFound("Event");
  }

  return {
    get,

    async update(organizationId: string, patch: Partial<RegistrantSettings>, audit?: AuditWrite) {
      return db.transaction().execute(async (trx) => {
        const current = await get(organizationId, trx);
        const next = { ...current, ...patch };
        const values = {
          double_opt_in: next.doubleOptIn,
          confirmation_expiry_hours: next.confirmationExpiryHours,
          reminder_offsets_minutes: [...new Set(next.reminderOffsetsMinutes)].sort((a, b) => b - a),
          updated_at: new Date(),
        };
        next.reminderOffsetsMinutes = values.reminder_offsets_minutes;
        await trx
          .insertInto("registrant_settings")
          .values({ organization_id: organizationId, ...values })
          .onConflict((oc) => oc.column("organization_id").doUpdateSet(values))
          .execute();
        await audit?.(trx);
        return next;
      });
    },

    async getForEvent(organizationId: string, eventId: string): Promise<EventRegistrantSettings> {
      await assertEvent(organizationId, eventId, db);
      const row = await db
        .selectFrom("event_registrant_settings")
        .select(["double_opt_in", "registrant_emails"])
        .where("event_id", "=", eventId)
        .executeTakeFirst();
      return { doubleOptIn: row?.double_opt_in ?? null, registrantEmails: row?.registrant_emails ?? null };
    },

    async updateForEvent(
      organizationId: string,
      eventId: string,
      patch: Partial<EventRegistrantSettings>,
      audit?: AuditWrite,
    ) {
      return db.transaction().execute(async (trx) => {
        await assertEvent(organizationId, eventId, trx);
        const current = await trx
          .selectFrom("event_registrant_settings")
          .select(["double_opt_in", "registrant_emails"])
          .where("event_id", "=", eventId)
          .forUpdate()
          .executeTakeFirst();
        const next: EventRegistrantSettings = {
          doubleOptIn: patch.doubleOptIn !== undefined ? patch.doubleOptIn : (current?.double_opt_in ?? null),
          registrantEmails:
            patch.registrantEmails !== undefined
              ? patch.registrantEmails
              : (current?.registrant_emails ?? null),
        };
        const values = {
          double_opt_in: next.doubleOptIn,
          registrant_emails: next.registrantEmails,
          updated_at: new Date(),
        };
        await trx
          .insertInto("event_registrant_settings")
          .values({ event_id: eventId, organization_id: organizationId, ...values })
          .onConflict((oc) => oc.column("event_id").doUpdateSet(values))
          .execute();
        if (next.registrantEmails !== (current?.registrant_emails ?? null))
          await resyncWebinars(trx, { eventId });
        await audit?.(trx);
        return next;
      });
    },

    /** The webinar account's choice of sender (each event may override it). */
    async setAccountSender(
      organizationId: string,
      configurationId: string,
      sender: RegistrantEmailSender | null,
      audit?: AuditWrite,
    ) {
      return db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable("webinar_configurations")
          .set({ registrant_emails: sender, updated_at: new Date() })
          .where("organization_id", "=", organizationId)
          .where("id", "=", configurationId)
          .returning("id")
          .executeTakeFirst();
        if (!updated) throw notFound("Webinar configuration");
        await resyncWebinars(trx, { configurationId });
        await audit?.(trx, configurationId);
        return { registrantEmails: sender };
      });
    },

    /**
     * Whether Auditorium sends this event's confirmations and reminders: yes unless the event
     * runs as a webinar whose sender (event override, else account) is not Auditorium. Nobody
     * choosing leaves them to the provider, which sends its own by default.
     */
    async auditoriumSends(executor: Executor, eventId: string): Promise<boolean> {
      const webinars = await executor
        .selectFrom("webinars as w")
        .innerJoin("webinar_configurations as wc", "wc.id", "w.configuration_id")
        .leftJoin("event_registrant_settings as ers", "ers.event_id", "w.event_id")
        .select(["ers.registrant_emails as event_sender", "wc.registrant_emails as account_sender"])
        .where("w.event_id", "=", eventId)
        .where("w.desired", "=", "active")
        .execute();
      return webinars.every((w) => (w.event_sender ?? w.account_sender) === "auditorium");
    },

    /** What applies to one event's public registrations: its override, else the organization's. One statement. */
    async effective(
      executor: Executor,
      organizationId: string,
      eventId: string,
    ): Promise<RegistrantSettings> {
      const row = await executor
        .selectFrom("organizations as o")
        .leftJoin("registrant_settings as s", "s.organization_id", "o.id")
        .leftJoin("event_registrant_settings as e", (j) => j.on("e.event_id", "=", eventId))
        .select([
          "s.double_opt_in as org_doi",
          "s.confirmation_expiry_hours",
          "s.reminder_offsets_minutes",
          "e.double_opt_in as event_doi",
        ])
        .where("o.id", "=", organizationId)
        .executeTakeFirst();
      return {
        doubleOptIn: row?.event_doi ?? row?.org_doi ?? DEFAULTS.doubleOptIn,
        confirmationExpiryHours: row?.confirmation_expiry_hours ?? DEFAULTS.confirmationExpiryHours,
        reminderOffsetsMinutes: row?.reminder_offsets_minutes ?? DEFAULTS.reminderOffsetsMinutes,
      };
    },
  };
}

export type RegistrantSettingsService = ReturnType<typeof createRegistrantSettingsService>;
