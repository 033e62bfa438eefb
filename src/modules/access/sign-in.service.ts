import type { Transaction } from "kysely";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/database.ts";
import type { Database, Role } from "../../db/schema.ts";
import type { Caller } from "../../http/auth.ts";
import { normalizeEmail } from "../../lib/email-address.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { hashToken, newSecretToken, uuidv7 } from "../../lib/ids.ts";
import type { EmailService } from "../email/email.service.ts";
import { accountLinkEmail } from "./access.emails.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { SignInLimiter } from "./sign-in-limits.ts";
import type { TokenCache } from "./token-cache.ts";

type LinkPurpose = "sign_in" | "password_reset";

const LINK_TTL_MS = 24 * 3600_000;
const LAST_USED_GRANULARITY_MS = 60_000;
const RANK: Record<Role, number> = { viewer: 1, marketer: 2, admin: 3, owner: 4 };
const lower = (a: Role, b: Role) => (RANK[a] <= RANK[b] ? a : b);

/** Sign-in (one-time links, passwords), cookie sessions and API-token authentication. */
export function createSignInService(deps: {
  db: Db;
  config: Pick<Config, "publicUrl" | "sessionTtlMs">;
  mail: Pick<EmailService, "enqueue" | "branding">;
  passwords: Pick<PasswordHasher, "hash" | "verify">;
  signInLimits: SignInLimiter;
  /** Verified API tokens for a moment (token-cache.ts); none: every request asks the database. */
  tokenCache?: TokenCache;
}) {
  const { db, config, mail, passwords, signInLimits, tokenCache } = deps;

  async function insertLink(executor: Db | Transaction<Database>, userId: string, purpose: LinkPurpose) {
    const token = newSecretToken();
    await executor
      .insertInto("sign_in_links")
      .values({
        token_hash: hashToken(token),
        user_id: userId,
        expires_at: new Date(Date.now() + LINK_TTL_MS),
        ...(purpose === "password_reset" && { purpose }),
      })
      .execute();
    return { token, url: `${config.publicUrl}/auth/link?token=${token}` };
  }

  /** For the terminal (first start, `auditorium sign-in-link`): whoever runs it owns the deployment. */
  async function issueSignInLink(userId: string): Promise<string> {
    return (await insertLink(db, userId, "sign_in")).url;
  }

  async function startSession(userId: string, organizationId?: string) {
    const membership = await db
      .selectFrom("memberships")
      .select("organization_id")
      .where("user_id", "=", userId)
      .$if(organizationId !== undefined, (q) => q.where("organization_id", "=", organizationId as string))
      .orderBy("created_at")
      .executeTakeFirst();
    if (!membership) throw new AppError(401, "no_organization", "This user belongs to no organization");
    const token = newSecretToken();
    await db
      .insertInto("user_sessions")
      .values({
        token_hash: hashToken(token),
        user_id: userId,
        organization_id: membership.organization_id,
        expires_at: new Date(Date.now() + config.sessionTtlMs),
      })
      .execute();
    return { token, maxAgeSeconds: Math.floor(config.sessionTtlMs / 1000) };
  }

  return {
    issueSignInLink,
    startSession,

    /**
     * A sign-in link or a password reset, by email to the address if it has an account, and
     * to nobody otherwise. The caller answers the same either way (sign-in.routes.ts), so
     * the answer tells nothing about which addresses have accounts.
     */
    async emailLink(email: string, purpose: LinkPurpose): Promise<void> {
      const user = await db
        .selectFrom("users")
        .select(["id", "email", "language"])
        .where("email", "=", normalizeEmail(email))
        .executeTakeFirst();
      if (!user) return;
      await db.transaction().execute(async (trx) => {
        const { token, url } = await insertLink(trx, user.id, purpose);
        const rendered = await accountLinkEmail({
          purpose,
          language: user.language,
          branding: await mail.branding(trx, null),
          url,
        });
        await mail.enqueue(trx, {
          organizationId: null,
          to: user.email,
          kind: purpose === "sign_in" ? "account.sign_in_link" : "account.password_reset",
          language: user.language,
          ...rendered,
          hidden: [token],
          userId: user.id,
        });
      });
    },

    /** The longest-standing owner, for tooling that acts on the operator's behalf (the demo). */
    async anyOwner() {
      const row = await db
        .selectFrom("memberships")
        .select(["user_id"])
        .where("role", "=", "owner")
        .orderBy("created_at")
        .limit(1)
        .executeTakeFirstOrThrow();
      return { userId: row.user_id };
    },

    /** First start on an empty database: an organization, its owner, and a one-time link. */
    async bootstrap(ownerEmail: string): Promise<string | null> {
      const anyUser = await db.selectFrom("users").select("id").limit(1).executeTakeFirst();
      if (anyUser) return null;
      const orgId = uuidv7();
      const userId = uuidv7();
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("organizations").values({ id: orgId, name: "My organization" }).execute();
        await trx
          .insertInto("users")
          .values({ id: userId, email: normalizeEmail(ownerEmail), name: "Owner" })
          .execute();
        await trx
          .insertInto("memberships")
          .values({ organization_id: orgId, user_id: userId, role: "owner" })
          .execute();
      });
      return issueSignInLink(userId);
    },

    /**
     * A password-reset link also clears the old password and ends every session of the user
     * (whoever knew the old one is out); the person then sets a new one (PUT /me/password).
     */
    async signInWithLink(token: string) {
      const now = new Date();
      const link = await db.transaction().execute(async (trx) => {
        const used = await trx
          .updateTable("sign_in_links")
          .set({ used_at: now })
          .where("token_hash", "=", hashToken(token))
          .where("used_at", "is", null)
          .where("expires_at", ">", now)
          .returning(["user_id", "purpose"])
          .executeTakeFirst();
        if (used?.purpose === "password_reset") {
          await trx
            .updateTable("users")
            .set({ password_hash: null })
            .where("id", "=", used.user_id)
            .execute();
          await trx.deleteFrom("user_sessions").where("user_id", "=", used.user_id).execute();
        }
        return used;
      });
      if (!link) throw new AppError(401, "link_invalid", "This sign-in link is unknown, used or expired");
      return startSession(link.user_id);
    },

    /**
     * `clientAddress` is the caller's address after the trusted proxies: failures are limited
     * per address and per (account, address), checked before any hashing (sign-in-limits.ts).
     */
    async signInWithPassword(email: string, password: string, clientAddress: string) {
      const normalized = normalizeEmail(email);
      await signInLimits.check(normalized, clientAddress);
      const user = await db
        .selectFrom("users")
        .select(["id", "password_hash"])
        .where("email", "=", normalized)
        .executeTakeFirst();
      const ok = await passwords.verify(user?.password_hash ?? null, password);
      if (!user || !ok) {
        await signInLimits.recordFailure(normalized, clientAddress);
        throw new AppError(401, "invalid_credentials", "Email or password is wrong");
      }
      await signInLimits.recordSuccess(normalized, clientAddress);
      return startSession(user.id);
    },

    async authenticateSession(token: string): Promise<Caller | null> {
      const tokenHash = hashToken(token);
      const row = await db
        .selectFrom("user_sessions as s")
        .innerJoin("memberships as m", (j) =>
          j.onRef("m.user_id", "=", "s.user_id").onRef("m.organization_id", "=", "s.organization_id"),
        )
        .select(["s.user_id", "s.organization_id", "m.role"])
        .where("s.token_hash", "=", tokenHash)
        .where("s.expires_at", ">", new Date())
        .executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.user_id,
        organizationId: row.organization_id,
        role: row.role,
        via: "session",
        sessionHash: tokenHash,
      };
    },

    /** An API token acts with its own role, capped by its creator's current role. */
    async authenticateToken(token: string): Promise<Caller | null> {
      const tokenHash = hashToken(token);
      const cached = tokenCache?.get(tokenHash);
      if (cached) return cached;
      const row = await db
        .selectFrom("api_tokens as t")
        .innerJoin("memberships as m", (j) =>
          j.onRef("m.user_id", "=", "t.created_by").onRef("m.organization_id", "=", "t.organization_id"),
        )
        .select([
          "t.id",
          "t.created_by",
          "t.organization_id",
          "t.role",
          "t.last_used_at",
          "m.role as creator_role",
        ])
        .where("t.token_hash", "=", tokenHash)
        .where("t.revoked_at", "is", null)
        .executeTakeFirst();
      if (!row) return null;
      const now = Date.now();
      if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_GRANULARITY_MS) {
        await db
          .updateTable("api_tokens")
          .set({ last_used_at: new Date(now) })
          .where("id", "=", row.id)
          .execute();
      }
      const caller: Caller = {
        userId: row.created_by,
        organizationId: row.organization_id,
        role: lower(row.role, row.creator_role),
        via: "token",
        tokenId: row.id,
      };
      tokenCache?.set(tokenHash, caller);
      return caller;
    },

    async signOut(sessionHash: string) {
      await db.deleteFrom("user_sessions").where("token_hash", "=", sessionHash).execute();
    },

    async switchOrganization(caller: Caller, organizationId: string) {
      const membership = await db
        .selectFrom("memberships")
        .select("role")
        .where("user_id", "=", caller.userId)
        .where("organization_id", "=", organizationId)
        .executeTakeFirst();
      if (!membership || !caller.sessionHash) throw notFound("Organization");
      await db
        .updateTable("user_sessions")
        .set({ organization_id: organizationId })
        .where("token_hash", "=", caller.sessionHash)
        .execute();
    },

    async me(caller: Caller) {
      const user = await db
        .selectFrom("users")
        .select(["id", "email", "name", "password_hash"])
        .where("id", "=", caller.userId)
        .executeTakeFirstOrThrow();
      const organizations = await db
        .selectFrom("memberships as m")
        .innerJoin("organizations as o", "o.id", "m.organization_id")
        .select(["o.id", "o.name", "m.role"])
        .where("m.user_id", "=", caller.userId)
        .orderBy("o.name")
        .execute();
      return {
        user: { id: user.id, email: user.email, name: user.name, hasPassword: user.password_hash !== null },
        organizationId: caller.organizationId,
        role: caller.role,
        organizations,
      };
    },

    /**
     * A new password ends the user's other sessions (in every organization): whoever held one
     * may be the reason for the change. The session that made the change stays.
     */
    async setPassword(caller: Caller, newPassword: string, currentPassword?: string) {
      const user = await db
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", caller.userId)
        .executeTakeFirstOrThrow();
      if (user.password_hash !== null) {
        const ok =
          currentPassword !== undefined && (await passwords.verify(user.password_hash, currentPassword));
        if (!ok)
          throw new AppError(422, "current_password_wrong", "The current password is wrong", {
            field: "currentPassword",
          });
      }
      const passwordHash = await passwords.hash(newPassword);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable("users")
          .set({ password_hash: passwordHash })
          .where("id", "=", caller.userId)
          .execute();
        await trx
          .deleteFrom("user_sessions")
          .where("user_id", "=", caller.userId)
          .$if(caller.sessionHash !== undefined, (q) =>
            q.where("token_hash", "<>", caller.sessionHash as string),
          )
          .execute();
      });
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
