import assert from "node:assert/strict";
import type { TestContext } from "./harness.ts";

/**
 * The invitee's side of a member invitation, as the API tests run it (no SMTP server, so
 * messages are kept): reads the invitation from the outbox table — the invitee's mailbox
 * stand-in, never the inviter's API answer — and accepts it. Returns the new member's id and
 * session cookie.
 */
export async function acceptInvitation(ctx: TestContext, email: string) {
  const mail = await ctx.database.db
    .selectFrom("email_messages")
    .select("text_body")
    .where("recipient", "=", email.trim().toLowerCase())
    .where("kind", "=", "member.invitation")
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
  const token = /\/auth\/invitation\?token=([\w-]+)/.exec(mail.text_body)?.[1];
  assert.ok(token, "the invitation carries its link");
  const accepted = await ctx.request("POST", "/api/v1/auth/invitation", { body: { token } });
  assert.equal(accepted.status, 200, accepted.text);
  const cookie = String([accepted.headers["set-cookie"]].flat()[0]).split(";")[0] as string;
  const me = await ctx.request("GET", "/api/v1/me", { cookie });
  return { userId: me.body.user.id as string, cookie, token };
}

/** Invites with `token` (an admin's) and accepts as the invitee. */
export async function addMember(
  ctx: TestContext,
  token: string,
  body: { email: string; name: string; role: string; language?: string },
) {
  const invited = await ctx.request("POST", "/api/v1/members", { token, body });
  assert.equal(invited.status, 202, invited.text);
  return { invitationId: invited.body.id as string, ...(await acceptInvitation(ctx, body.email)) };
}
