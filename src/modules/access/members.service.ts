import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { ContactMatching, Database, Role } from "../../db/schema.ts";
import { type Caller, roleAtLeast } from "../../http/auth.ts";
import { conflict, forbidden, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { normalizeEmail, type SessionService } from "./sessions.service.ts";

/**
 * Organizations and who belongs to them. Least privilege: an admin manages marketers and
 * viewers; only an owner grants or removes admin and owner; an organization keeps one owner.
 */
type Trx = Transaction<Database>;

export function createMemberService(deps: { db: Db; sessions: Pick<SessionService, "issueSignInLink"> }) {
  const { db, sessions } = deps;

  function assertMayManage(caller: Caller, role: Role) {
    const needed: Role = role === "owner" || role === "admin" ? "owner" : "admin";
    if (!roleAtLeast(caller.role, needed)) throw forbidden(`Only an ${needed} may manage ${role}s`);
  }

  async function membership(trx: Trx, organizationId: string, userId: string) {
    const row = await trx
      .selectFrom("memberships")
      .select("role")
      .where("organization_id", "=", organizationId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) throw notFound("Member");
    return row;
  }

  /**
   * Role changes and removals lock the organization row first, so two owners stepping down
   * at the same time are decided one after the other and one owner always remains.
   */
  async function lockOrganization(trx: Trx, organizationId: string) {
    await trx.selectFrom("organizations").select("id").where("id", "=", organizationId).forUpdate().execute();
  }

  async function assertNotLastOwner(trx: Trx, organizationId: string, userId: string) {
    const owners = await trx
      .selectFrom("memberships")
      .select("user_id")
      .where("organization_id", "=", organizationId)
      .where("role", "=", "owner")
      .execute();
    if (owners.length === 1 && owners[0]?.user_id === userId) {
      throw conflict("last_owner", "An organization must keep at least one owner");
    }
  }

  return {
    async getOrganization(organizationId: string) {
      return db
        .selectFrom("organizations")
        .select(["id", "name", "contact_matching", "logo_url", "brand_color", "created_at"])
        .where("id", "=", organizationId)
        .executeTakeFirstOrThrow();
    },

    async updateOrganization(
      organizationId: string,
      patch: {
        name?: string;
        contactMatching?: ContactMatching;
        logoUrl?: string | null;
        brandColor?: string | null;
      },
    ) {
      const set = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.contactMatching !== undefined && { contact_matching: patch.contactMatching }),
        ...(patch.logoUrl !== undefined && { logo_url: patch.logoUrl }),
        ...(patch.brandColor !== undefined && { brand_color: patch.brandColor?.toLowerCase() ?? null }),
      };
      // `{}` is a valid patch; an UPDATE with nothing to set is not valid SQL.
      if (Object.keys(set).length === 0) return;
      await db.updateTable("organizations").set(set).where("id", "=", organizationId).execute();
    },

    async createOrganization(userId: string, name: string) {
      const id = uuidv7();
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("organizations").values({ id, name }).execute();
        await trx
          .insertInto("memberships")
          .values({ organization_id: id, user_id: userId, role: "owner" })
          .execute();
      });
      return id;
    },

    async list(organizationId: string) {
      return db
        .selectFrom("memberships as m")
        .innerJoin("users as u", "u.id", "m.user_id")
        .select(["u.id", "u.email", "u.name", "m.role", "m.created_at"])
        .where("m.organization_id", "=", organizationId)
        .orderBy("u.email")
        .execute();
    },

    /** Adds a person (creating the user if new); a new user gets a one-time link. */
    async add(caller: Caller, input: { email: string; name: string; role: Role }) {
      assertMayManage(caller, input.role);
      const email = normalizeEmail(input.email);
      const result = await db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom("users")
          .select("id")
          .where("email", "=", email)
          .executeTakeFirst();
        const user = { id: existing?.id ?? uuidv7(), isNew: !existing };
        if (user.isNew)
          await trx.insertInto("users").values({ id: user.id, email, name: input.name }).execute();
        const inserted = await trx
          .insertInto("memberships")
          .values({ organization_id: caller.organizationId, user_id: user.id, role: input.role })
          .onConflict((oc) => oc.doNothing())
          .returning("user_id")
          .executeTakeFirst();
        if (!inserted) throw conflict("already_member", "This person is already a member", "email");
        return user;
      });
      // Only a person created here gets a link. A link signs in as the user, and a session can
      // switch to any of the user's organizations: handing one out for an existing account
      // would let this organization's admin into the others. Existing users sign in as before.
      const signInUrl = result.isNew ? await sessions.issueSignInLink(result.id) : null;
      return { userId: result.id, signInUrl };
    },

    async changeRole(caller: Caller, userId: string, role: Role) {
      await db.transaction().execute(async (trx) => {
        await lockOrganization(trx, caller.organizationId);
        const current = await membership(trx, caller.organizationId, userId);
        assertMayManage(caller, current.role);
        assertMayManage(caller, role);
        if (current.role === "owner" && role !== "owner")
          await assertNotLastOwner(trx, caller.organizationId, userId);
        await trx
          .updateTable("memberships")
          .set({ role })
          .where("organization_id", "=", caller.organizationId)
          .where("user_id", "=", userId)
          .execute();
      });
    },

    /** Ends the person's sessions here and revokes their tokens, so re-adding revives neither. */
    async remove(caller: Caller, userId: string) {
      await db.transaction().execute(async (trx) => {
        await lockOrganization(trx, caller.organizationId);
        const current = await membership(trx, caller.organizationId, userId);
        assertMayManage(caller, current.role);
        if (current.role === "owner") await assertNotLastOwner(trx, caller.organizationId, userId);
        await trx
          .deleteFrom("memberships")
          .where("organization_id", "=", caller.organizationId)
          .where("user_id", "=", userId)
          .execute();
        await trx
          .deleteFrom("user_sessions")
          .where("organization_id", "=", caller.organizationId)
          .where("user_id", "=", userId)
          .execute();
        await trx
          .updateTable("api_tokens")
          .set({ revoked_at: new Date() })
          .where("organization_id", "=", caller.organizationId)
          .where("created_by", "=", userId)
          .where("revoked_at", "is", null)
          .execute();
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
