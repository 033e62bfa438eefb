import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { AuditActorKind, AuditDetails, AuditLogRow } from "../../db/schema-audit.ts";
import type { Caller } from "../../http/auth.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";

export interface AuditActor {
  kind: AuditActorKind;
  userId: string | null;
  tokenId?: string | null;
}

export interface AuditEntry {
  organizationId: string;
  actor: AuditActor;
  /** `<target type>.<what happened>`, e.g. "webinar_configuration.credentials_removed". */
  action: string;
  /** Defaults to the part of `action` before the first dot. */
  targetType?: string;
  targetId?: string | null;
  /** Field names, roles, versions, counts — never a secret or a personal value. */
  details?: AuditDetails;
  requestId?: string | null;
}

/** The actor of an HTTP call: the person, and the API token when the call came with one. */
export const actorOf = (caller: Caller): AuditActor =>
  caller.via === "token"
    ? { kind: "token", userId: caller.userId, tokenId: caller.tokenId ?? null }
    : { kind: "user", userId: caller.userId };

/**
 * Writes the audit entry of the change in progress, inside that change's transaction, so the
 * entry commits with the change or not at all. `targetId` names what the change created when
 * the route's path has no id. Handed by the HTTP trail to the service doing the change.
 */
export type AuditWrite = (trx: Kysely<Database>, targetId?: string | null) => Promise<void>;

/** Actions without a caller (command line, scheduled jobs). */
export const SYSTEM_ACTOR: AuditActor = { kind: "system", userId: null };

/**
 * The audit log. `record` takes the executor: every entry is written in the transaction of
 * the change it describes (the HTTP trail hands services an `AuditWrite` for that). The table
 * refuses UPDATE and DELETE (migration 0020).
 */
export function createAuditService(deps: { db: Kysely<Database> }) {
  const { db } = deps;
  async function record(executor: Kysely<Database>, entry: AuditEntry): Promise<string> {
    const id = uuidv7();
    await executor
      .insertInto("audit_log")
      .values({
        id,
        organization_id: entry.organizationId,
        actor_user_id: entry.actor.userId,
        actor_kind: entry.actor.kind,
        actor_token_id: entry.actor.tokenId ?? null,
        action: entry.action,
        target_type: entry.targetType ?? entry.action.split(".")[0] ?? entry.action,
        target_id: entry.targetId ?? null,
        details: JSON.stringify(entry.details ?? {}),
        request_id: entry.requestId ?? null,
      })
      .execute();
    return id;
  }
  return {
    record,
    /** An entry of its own, for what has no transaction to join (a read such as an export). */
    recordNow: (entry: AuditEntry) => record(db, entry),

    /** Newest first, with an opaque cursor over the time-ordered ids. */
    async list(
      organizationId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        action?: string | undefined;
        actorUserId?: string | undefined;
        targetId?: string | undefined;
        since?: string | undefined;
        until?: string | undefined;
      },
    ): Promise<{ data: AuditLogRow[]; nextCursor: string | null }> {
      const after = decodeCursor(query.cursor);
      const rows = await db
        .selectFrom("audit_log")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .$if(after !== undefined, (q) => q.where("id", "<", after as string))
        .$if(query.action !== undefined, (q) => q.where("action", "=", query.action as string))
        .$if(query.actorUserId !== undefined, (q) =>
          q.where("actor_user_id", "=", query.actorUserId as string),
        )
        .$if(query.targetId !== undefined, (q) => q.where("target_id", "=", query.targetId as string))
        .$if(query.since !== undefined, (q) => q.where("created_at", ">=", new Date(query.since as string)))
        .$if(query.until !== undefined, (q) => q.where("created_at", "<", new Date(query.until as string)))
        .orderBy("id", "desc")
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
