import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";

type Executor = Db | Transaction<Database>;

export interface RegistrantSettings {
  doubleOptIn: boolean;
  confirmationExpiryHours: number;
}
export interface EventRegistrantSettings {
  /** null: the organization's setting applies. */
  doubleOptIn: boolean | null;
}

const DEFAULTS: RegistrantSettings = { doubleOptIn: false, confirmationExpiryHours: 48 };

/**
 * How an organization treats its registrants, with an event's overrides. A missing row means
 * the defaults, so organizations that never chose keep today's behaviour.
 */
export function createRegistrantSettingsService(deps: { db: Db }) {
  const { db } = deps;

  async function get(organizationId: string, executor: Executor = db): Promise<RegistrantSettings> {
    const row = await executor
      .selectFrom("registrant_settings")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .executeTakeFirst();
    if (!row) return { ...DEFAULTS };
    return { doubleOptIn: row.double_opt_in, confirmationExpiryHours: row.confirmation_expiry_hours };
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

    async update(organizationId: string, patch: Partial<RegistrantSettings>) {
      const current = await get(organizationId);
      const next = { ...current, ...patch };
      await db
        .insertInto("registrant_settings")
        .values({
          organization_id: organizationId,
          double_opt_in: next.doubleOptIn,
          confirmation_expiry_hours: next.confirmationExpiryHours,
          updated_at: new Date(),
        })
        .onConflict((oc) =>
          oc.column("organization_id").doUpdateSet({
            double_opt_in: next.doubleOptIn,
            confirmation_expiry_hours: next.confirmationExpiryHours,
            updated_at: new Date(),
          }),
        )
        .execute();
      return next;
    },

    async getForEvent(organizationId: string, eventId: string): Promise<EventRegistrantSettings> {
      await assertEvent(organizationId, eventId, db);
      const row = await db
        .selectFrom("event_registrant_settings")
        .select("double_opt_in")
        .where("event_id", "=", eventId)
        .executeTakeFirst();
      return { doubleOptIn: row?.double_opt_in ?? null };
    },

    async updateForEvent(organizationId: string, eventId: string, patch: EventRegistrantSettings) {
      await assertEvent(organizationId, eventId, db);
      await db
        .insertInto("event_registrant_settings")
        .values({
          event_id: eventId,
          organization_id: organizationId,
          double_opt_in: patch.doubleOptIn,
          updated_at: new Date(),
        })
        .onConflict((oc) =>
          oc.column("event_id").doUpdateSet({ double_opt_in: patch.doubleOptIn, updated_at: new Date() }),
        )
        .execute();
      return patch;
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
        .select(["s.double_opt_in as org_doi", "s.confirmation_expiry_hours", "e.double_opt_in as event_doi"])
        .where("o.id", "=", organizationId)
        .executeTakeFirst();
      return {
        doubleOptIn: row?.event_doi ?? row?.org_doi ?? DEFAULTS.doubleOptIn,
        confirmationExpiryHours: row?.confirmation_expiry_hours ?? DEFAULTS.confirmationExpiryHours,
      };
    },
  };
}

export type RegistrantSettingsService = ReturnType<typeof createRegistrantSettingsService>;
