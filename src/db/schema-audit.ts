import type { ColumnType, Selectable } from "kysely";

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export type AuditActorKind = "user" | "token" | "system";

/** Names and counts only: never a secret or a personal value. */
export type AuditDetails = Record<string, string | number | boolean | string[] | null>;

export interface AuditLogTable {
  id: string;
  organization_id: string;
  actor_user_id: string | null;
  actor_kind: AuditActorKind;
  actor_token_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Json<AuditDetails>;
  request_id: string | null;
  created_at: CreatedAt;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}

export type AuditLogRow = Selectable<AuditLogTable>;
