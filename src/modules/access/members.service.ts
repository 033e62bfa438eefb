import type { Db } from "../../db/database.ts";
import type { ContactMatching, Role } from "../../db/schema.ts";
import { type Caller, roleAtLeast } from "../../http/auth.ts";
import { conflict, forbidden, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { normalizeEmail, type SessionService } from "./sessions.service.ts";

/**
 * Organizations and who belongs to them. Least privilege: an admin manages marketers and
 * viewers; only an owner grants or removes admin and owner; an organization keeps one owner.
 */
export function createMemberService(deps: { db: Db; sessions: Pick<SessionService, "issueSignInLink"> }) {
  const { db, sessions } = deps;

  function assertMayManage(caller: Caller, role: Role) {
    const needed: Role = role === "owner" || role === "admin" ? "owner" : "admin";
    if (!roleAtLeast(caller.role, needed)) throw forbidden(`Only an ${needed} may manage ${role}s`);
  }

  async function membership(organizationId: string, userId: string) {
    const row = await db
      .selectFrom("memberships")
      .select("role")
      .where("organization_id", "=", organizationId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) throw notFound("Member");
    return row;
  }

  async function assertNotLastOwner(organizationId: string, userId: string) {
    const owners = await db
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
        .select(["id", "name", "contact_matching", "created_at"])
        .where("id", "=", organizationId)
        .executeTakeFirstOrThrow();
    },

    async updateOrganization(
      organizationId: string,
      patch: { name?: string; contactMatching?: ContactMatching },
    ) {
      await db
        .updateTable("organizations")
        .set({
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.contactMatching !== undefined && { contact_matching: patch.contactMatching }),
        })
        .where("id", "=", organizationId)
        .execute();
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

    /** Adds a person (creating the user if new); a user without a password gets a one-time link. */
    async add(caller: Caller, input: { email: string; name: string; role: Role }) {
      assertMayManage(caller, input.role);
      const email = normalizeEmail(input.email);
      const result = await db.transaction().execute(async (trx) => {
        let user = await trx
          .selectFrom("users")
          .select(["id", "password_hash"])
          .where("email", "=", email)
          .executeTakeFirst();
        if (!user) {
          user = { id: uuidv7(), password_hash: null };
          await trx.insertInto("users").values({ id: user.id, email, name: input.name }).execute();
        }
        const inserted = await trx
          .insertInto("memberships")
          .values({ organization_id: caller.organizationId, user_id: user.id, role: input.role })
          .onConflict((oc) => oc.doNothing())
          .returning("user_id")
          .executeTakeFirst();
        if (!inserted) throw conflict("already_member", "This person is already a member", "email");
        return user;
      });
      const signInUrl = result.password_hash === null ? await sessions.issueSignInLink(result.id) : null;
      return { userId: result.id, signInUrl };
    },

    async changeRole(caller: Caller, userId: string, role: Role) {
      const current = await membership(caller.organizationId, userId);
      assertMayManage(caller, current.role);
      assertMayManage(caller, role);
      if (current.role === "owner" && role !== "owner")
        await assertNotLastOwner(caller.organizationId, userId);
      await db
        .updateTable("memberships")
        .set({ role })
        .where("organization_id", "=", caller.organizationId)
        .where("user_id", "=", userId)
        .execute();
    },

    async remove(caller: Caller, userId: string) {
      const current = await membership(caller.organizationId, userId);
      assertMayManage(caller, current.role);
      if (current.role === "owner") await assertNotLastOwner(caller.organizationId, userId);
      await db.transaction().execute(async (trx) => {
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
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
