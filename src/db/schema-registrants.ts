import type { ColumnType } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** The organization's registrant settings (migration 0130); no row means the defaults. */
export interface RegistrantSettingsTable {
  organization_id: string;
  double_opt_in: Defaulted<boolean>;
  confirmation_expiry_hours: Defaulted<number>;
  /** Reminders this many minutes before the start (migration 0132). */
  reminder_offsets_minutes: Defaulted<number[]>;
  updated_at: Defaulted<Date>;
}

export interface RegistrationRemindersTable {
  registration_id: string;
  offset_minutes: number;
  sent_at: Defaulted<Date>;
}

export interface UnsubscribeTokensTable {
  token_hash: string;
  registration_id: string;
  created_at: Defaulted<Date>;
}

export interface ContactUnsubscribesTable {
  contact_id: string;
  organization_id: string;
  created_at: Defaulted<Date>;
}

/** Who sends a webinar's registrant confirmations and reminders: one of the two, never both. */
export type RegistrantEmailSender = "auditorium" | "provider";

/** An event's overrides of them; null = the organization's (or the webinar account's). */
export interface EventRegistrantSettingsTable {
  event_id: string;
  organization_id: string;
  double_opt_in: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  registrant_emails: ColumnType<
    RegistrantEmailSender | null,
    RegistrantEmailSender | null | undefined,
    RegistrantEmailSender | null
  >;
  updated_at: Timestamp;
}

export interface RegistrantTables {
  registrant_settings: RegistrantSettingsTable;
  event_registrant_settings: EventRegistrantSettingsTable;
  registration_reminders: RegistrationRemindersTable;
  unsubscribe_tokens: UnsubscribeTokensTable;
  contact_unsubscribes: ContactUnsubscribesTable;
}
