import type { Db } from "../../db/database.ts";
import type { Role } from "../../db/schema.ts";
import { type Caller, roleAtLeast } from "../../http/auth.ts";
import { forbidden, notFound } from "../../lib/errors.ts";
import { hashToken, newSecretToken, uuidv7 } from "../../lib/ids.ts";
import type { AuditWrite } from "../audit/audit.service.ts";
import type { TokenCache } from "./token-cache.ts";

const TOKEN_PREFIX = "aud_";

/** API tokens for programs: shown once at creation, stored as a hash, revocable. */
export function createTokenService(deps: { db: Db; tokenCache?: TokenCache }) {
  const { db, tokenCache } = deps;
  const columns = ["id", "name", "role", "token_prefix", "created_at", "last_used_at", "revoked_at"] as const;

  return {
    isApiToken: (bearer: string) => bearer.startsWith(TOKEN_PREFIX),

    async create(caller: Caller, input: { name: string; role: Role }, audit?: AuditWrite) {
      if (!roleAtLeast(caller.role, input.role))
        throw forbidden("A token cannot have a higher role than its creator");
      const token = newSecretToken(TOKEN_PREFIX);
      const row = await db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto("api_tokens")
          .values({
            id: uuidv7(),
            organization_id: caller.organizationId,
            name: input.name,
            role: input.role,
            token_hash: hashToken(token),
            token_prefix: token.slice(0, TOKEN_PREFIX.length + 6),
            created_by: caller.userId,
          })
          .returning(columns)
          .executeTakeFirstOrThrow();
        await audit?.(trx, created.id);
        return created;
      });
      return { ...row, token };
    },

    async list(organizationId: string) {
      return db
        .selectFrom("api_tokens")
        .select(columns)
        .where("organization_id", "=", organizationId)
        .orderBy("id", "desc")
        .execute();
    },

    async revoke(organizationId: string, id: string, audit?: AuditWrite) {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable("api_tokens")
          .set({ revoked_at: new Date() })
          .where("organization_id", "=", organizationId)
          .where("id", "=", id)
          .where("revoked_at", "is", null)
          .returning("id")
          .executeTakeFirst();
        if (!row) throw notFound("API token");
        await audit?.(trx);
      });
      tokenCache?.forgetAll();
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
