import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { ContactMatching, Database, Role } from "../../db/schema.ts";
import type { EmailLanguage } from "../../db/schema-email.ts";
import { type Caller, roleAtLeast } from "../../http/auth.ts";
import { normalizeEmail } from "../../lib/email-address.ts";
import { AppError, conflict, forbidden, notFound } from "../../lib/errors.ts";
import { hashToken, newSecretToken, uuidv7 } from "../../lib/ids.ts";
import type { AuditService, AuditWrite } from "../audit/audit.service.ts";
import type { EmailService } from "../email/email.service.ts";
import { invitationEmail } from "./access.emails.ts";
import type { TokenCache } from "./token-cache.ts";

/**
 * Organizations and who belongs to them. Least privilege: an admin manages marketers and
 * viewers; only an owner grants or removes admin and owner; an organization keeps one owner.
 */
type Trx = Transaction<Database>;

const INVITATION_TTL_MS = 7 * 24 * 3600_000;

export function createMemberService(deps: {
  db: Db;
  mail: Pick<EmailService, "enqueue" | "branding">;
  audit: Pick<AuditService, "record">;
  publicUrl: string;
  /** Remembered API tokens, forgotten when a role changes or a member leaves (token-cache.ts). */
  tokenCache?: TokenCache;
}) {
  const { db, mail, audit, publicUrl, tokenCache } = deps;

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
      audit?: AuditWrite,
    ) {
      const set = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.contactMatching !== undefined && { contact_matching: patch.contactMatching }),
        ...(patch.logoUrl !== undefined && { logo_url: patch.logoUrl }),
        ...(patch.brandColor !== undefined && { brand_color: patch.brandColor?.toLowerCase() ?? null }),
      };
      await db.transaction().execute(async (trx) => {
        await audit?.(trx, organizationId);
        // `{}` is a valid patch; an UPDATE with nothing to set is not valid SQL.
        if (Object.keys(set).length === 0) return;
        await trx.updateTable("organizations").set(set).where("id", "=", organizationId).execute();
      });
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

    /**
     * Invites a person: the link goes by email to the invitee's address only, and the answer
     * carries none. Nothing else changes until the invitee accepts: no user is created and
     * no membership granted, so an admin can neither sign in as the address nor add an
     * existing account to their organization without its owner's consent. A repeated
     * invitation replaces the pending one (its link stops working).
     */
    async invite(
      caller: Caller,
      input: { email: string; name: string; role: Role; language?: EmailLanguage },
      audit?: AuditWrite,
    ) {
      assertMayManage(caller, input.role);
      const email = normalizeEmail(input.email);
      const language = input.language ?? "en";
      const token = newSecretToken();
      const id = uuidv7();
      const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
      await db.transaction().execute(async (trx) => {
        const member = await trx
          .selectFrom("memberships as m")
          .innerJoin("users as u", "u.id", "m.user_id")
          .select("u.id")
          .where("m.organization_id", "=", caller.organizationId)
          .where("u.email", "=", email)
          .executeTakeFirst();
        if (member) throw conflict("already_member", "This person is already a member", "email");
        await trx
          .deleteFrom("member_invitations")
          .where("organization_id", "=", caller.organizationId)
          .where("email", "=", email)
          .where("accepted_at", "is", null)
          .execute();
        await trx
          .insertInto("member_invitations")
          .values({
            id,
            organization_id: caller.organizationId,
            email,
            name: input.name,
            role: input.role,
            language,
            token_hash: hashToken(token),
            invited_by: caller.userId,
            expires_at: expiresAt,
          })
          .execute();
        const existing = await trx
          .selectFrom("users")
          .select("id")
          .where("email", "=", email)
          .executeTakeFirst();
        const branding = await mail.branding(trx, caller.organizationId);
        const url = `${publicUrl}/auth/invitation?token=${token}`;
        const rendered = await invitationEmail({
          language,
          branding,
          inviteeName: input.name,
          role: input.role,
          url,
          expiresAt,
        });
        await mail.enqueue(trx, {
          organizationId: caller.organizationId,
          to: email,
          kind: "member.invitation",
          language,
          ...rendered,
          hidden: [token],
          userId: existing?.id ?? null,
        });
        await audit?.(trx, id);
      });
      return { id, email, role: input.role, expiresAt };
    },

    async listInvitations(organizationId: string) {
      return db
        .selectFrom("member_invitations")
        .select(["id", "email", "name", "role", "created_at", "expires_at"])
        .where("organization_id", "=", organizationId)
        .where("accepted_at", "is", null)
        .orderBy("created_at", "desc")
        .execute();
    },

    async revokeInvitation(organizationId: string, id: string, audit?: AuditWrite) {
      await db.transaction().execute(async (trx) => {
        const gone = await trx
          .deleteFrom("member_invitations")
          .where("organization_id", "=", organizationId)
          .where("id", "=", id)
          .where("accepted_at", "is", null)
          .executeTakeFirst();
        if (Number(gone.numDeletedRows) === 0) throw notFound("Invitation");
        await audit?.(trx);
      });
    },

    /**
     * The invitee opened the emailed link: it proves they read that address. A new address
     * becomes a user now; an existing user gains the membership only now. Used once.
     */
    async acceptInvitation(token: string): Promise<{ userId: string; organizationId: string }> {
      return db.transaction().execute(async (trx) => {
        const now = new Date();
        const invitation = await trx
          .updateTable("member_invitations")
          .set({ accepted_at: now })
          .where("token_hash", "=", hashToken(token))
          .where("accepted_at", "is", null)
          .where("expires_at", ">", now)
          .returningAll()
          .executeTakeFirst();
        if (!invitation)
          throw new AppError(401, "invitation_invalid", "This invitation is unknown, used or expired");
        const existing = await trx
          .selectFrom("users")
          .select("id")
          .where("email", "=", invitation.email)
          .executeTakeFirst();
        const userId = existing?.id ?? uuidv7();
        if (!existing)
          await trx
            .insertInto("users")
            .values({
              id: userId,
              email: invitation.email,
              name: invitation.name,
              language: invitation.language,
            })
            .execute();
        await trx
          .insertInto("memberships")
          .values({ organization_id: invitation.organization_id, user_id: userId, role: invitation.role })
          .onConflict((oc) => oc.doNothing())
          .execute();
        await trx
          .updateTable("member_invitations")
          .set({ accepted_by: userId })
          .where("id", "=", invitation.id)
          .execute();
        // The invitee, not an admin, makes the membership: the log says who and when.
        await audit.record(trx, {
          organizationId: invitation.organization_id,
          actor: { kind: "user", userId },
          action: "member.joined",
          targetId: userId,
          details: { role: invitation.role },
        });
        return { userId, organizationId: invitation.organization_id };
      });
    },

    async changeRole(caller: Caller, userId: string, role: Role, audit?: AuditWrite) {
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
        await audit?.(trx);
      });
      tokenCache?.forgetAll();
    },

    /** Ends the person's sessions here and revokes their tokens, so re-adding revives neither. */
    async remove(caller: Caller, userId: string, audit?: AuditWrite) {
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
        await audit?.(trx);
      });
      tokenCache?.forgetAll();
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
