import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";

/**
 * Issue 13's account takeover, done step by step: the admin of one organization adds an
 * address, uses the link they were handed to sign in as that person, sets a password, and
 * waits for the person's real organization to add the same address.
 */
let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Auditorium <accounts@auditorium.test>";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "200";
});
after(async () => smtp.stop());

const cookieOf = (res: { headers: Record<string, unknown> }) =>
  String([res.headers["set-cookie"]].flat()[0] ?? "").split(";")[0] as string;

forEachBackend("account takeover through member invitations", (ctx, backend) => {
  before(async () => {
    await ctx.services.emailSender?.start();
  });

  test("an admin who adds an address cannot sign in as that person, nor follow them into another organization", async () => {
    const attackerOrg = await ctx.createOrg("Attacker's org");
    const victimOrg = await ctx.createOrg("Victim's real org");
    const victim = `victim@corp-${backend}.example.com`;
    const attackerPassword = "attacker-chosen-password-1";

    // 1. The attacker, admin of their own organization, adds victim@corp.
    const added = await ctx.request("POST", "/api/v1/members", {
      token: attackerOrg.tokens.admin,
      body: { email: victim, name: "Victim", role: "viewer" },
    });
    assert.ok(added.status === 201 || added.status === 202, added.text);

    // 2. The attacker looks for a sign-in link in what the API answered.
    const leaked = /\/auth\/[a-z-]+\?token=([\w-]+)/.exec(added.text)?.[1];

    // 3. With it, the attacker signs in as the victim and sets a password of their own.
    let passwordSet = false;
    if (leaked) {
      for (const path of ["/api/v1/auth/link", "/api/v1/auth/invitation"]) {
        const signedIn = await ctx.request("POST", path, { body: { token: leaked } });
        if (signedIn.status !== 200) continue;
        const set = await ctx.request("PUT", "/api/v1/me/password", {
          cookie: cookieOf(signedIn),
          body: { newPassword: attackerPassword },
        });
        passwordSet ||= set.status === 200;
      }
    }

    // 4. Later the victim's real organization adds the same address.
    const addedByVictimOrg = await ctx.request("POST", "/api/v1/members", {
      token: victimOrg.tokens.owner,
      body: { email: victim, name: "Victim", role: "admin" },
    });
    assert.ok(addedByVictimOrg.status === 201 || addedByVictimOrg.status === 202, addedByVictimOrg.text);

    // 5. The attacker signs in with their password and switches into that organization.
    const login = await ctx.request("POST", "/api/v1/auth/login", {
      body: { email: victim, password: attackerPassword },
    });
    const switched =
      login.status === 200
        ? await ctx.request("PUT", "/api/v1/me/organization", {
            cookie: cookieOf(login),
            body: { organizationId: victimOrg.id },
          })
        : null;

    assert.notEqual(switched?.status, 200, "the attacker got into the victim's organization");
    assert.equal(login.status, 401, "the attacker's password signs in as the victim");
    assert.equal(passwordSet, false, "the attacker set the victim's password");
    assert.equal(leaked, undefined, "the inviter's answer carried a sign-in link");

    // The link went to the victim's mailbox, and only there.
    const invitations = await eventually(async () => {
      const got = smtp.to(victim);
      return got.length === 2 ? got : undefined;
    });
    for (const mail of invitations) {
      assert.deepEqual(mail.to, [victim]);
      assert.match(mail.parsed.text ?? "", /\/auth\/invitation\?token=[\w-]+/);
    }
    const stored = await ctx.database.db
      .selectFrom("memberships as m")
      .innerJoin("users as u", "u.id", "m.user_id")
      .select("m.organization_id")
      .where("u.email", "=", victim)
      .execute();
    assert.deepEqual(stored, [], "no membership before the victim accepts");
  });

  const linkIn = (text: string | undefined, path: string) => {
    const m = new RegExp(`(http://localhost:3000${path}\\?token=([\\w-]+))`).exec(text ?? "");
    assert.ok(m, `a ${path} link in the message`);
    return { url: m[1] as string, token: m[2] as string };
  };
  const nextMail = (to: string, count: number) =>
    eventually(async () => {
      const got = smtp.to(to);
      return got.length >= count ? got[count - 1] : undefined;
    });

  test("the invitee accepts; an existing user's new membership applies only once accepted", async () => {
    const first = await ctx.createOrg("Første org");
    const second = await ctx.createOrg("Second org");
    const person = `invitee@${backend}.example.com`;

    const invited = await ctx.request("POST", "/api/v1/members", {
      token: first.tokens.admin,
      body: { email: person, name: "Ingrid", role: "marketer", language: "nb" },
    });
    assert.equal(invited.status, 202, invited.text);
    assert.deepEqual(Object.keys(invited.body).sort(), ["email", "expiresAt", "id", "role"]);
    const pending = await ctx.request("GET", "/api/v1/members/invitations", { token: first.tokens.admin });
    assert.deepEqual(
      pending.body.data.map((i: { email: string }) => i.email),
      [person],
    );
    assert.doesNotMatch(pending.text, /token/);

    const mail = await nextMail(person, 1);
    assert.deepEqual(mail.to, [person]);
    assert.equal(mail.parsed.subject, "Invitasjon til Første org i Auditorium");
    assert.match(mail.parsed.text ?? "", /Hei Ingrid/);
    assert.match(mail.parsed.text ?? "", /som markedsfører/);
    assert.match(mail.parsed.html || "", /<html[^>]*lang="nb"/);
    const link = linkIn(mail.parsed.text, "/auth/invitation");
    assert.ok((mail.parsed.html || "").includes(`href="${link.url}"`), "the button links to the invitation");

    // The inviter's outbox shows the message, never the link.
    const outbox = await ctx.request("GET", "/api/v1/email/messages", { token: first.tokens.admin });
    const listed = outbox.body.data.find((m: { recipient: string }) => m.recipient === person);
    assert.equal(listed.kind, "member.invitation");
    const preview = await ctx.request("GET", `/api/v1/email/messages/${listed.id}`, {
      token: first.tokens.admin,
    });
    assert.ok(!preview.text.includes(link.token), "the outbox preview leaks the invitation link");

    const accepted = await ctx.request("POST", "/api/v1/auth/invitation", { body: { token: link.token } });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.organizationId, first.id);
    const cookie = cookieOf(accepted);
    const me = await ctx.request("GET", "/api/v1/me", { cookie });
    assert.equal(me.body.role, "marketer");
    assert.equal(me.body.user.name, "Ingrid");
    assert.equal(me.body.user.hasPassword, false);
    const joined = await ctx.request("GET", "/api/v1/audit?action=member.joined", {
      token: first.tokens.admin,
    });
    assert.equal(joined.body.data.length, 1);
    assert.equal(joined.body.data[0].actor.userId, me.body.user.id, "the invitee made the membership");
    const again = await ctx.request("POST", "/api/v1/auth/invitation", { body: { token: link.token } });
    assert.equal(again.status, 401, "an invitation works once");

    // A second organization invites the same, now existing, user: nothing applies yet.
    const invitedAgain = await ctx.request("POST", "/api/v1/members", {
      token: second.tokens.owner,
      body: { email: person, name: "Ingrid", role: "admin" },
    });
    assert.equal(invitedAgain.status, 202);
    const orgsBefore = (await ctx.request("GET", "/api/v1/me", { cookie })).body.organizations;
    assert.deepEqual(
      orgsBefore.map((o: { id: string }) => o.id),
      [first.id],
    );
    const early = await ctx.request("PUT", "/api/v1/me/organization", {
      cookie,
      body: { organizationId: second.id },
    });
    assert.equal(early.status, 404, "the membership applied before it was accepted");
    const members = await ctx.request("GET", "/api/v1/members", { token: second.tokens.owner });
    assert.ok(!members.text.includes(person));

    const secondMail = await nextMail(person, 2);
    assert.equal(secondMail.parsed.subject, "Invitation to Second org on Auditorium");
    const secondLink = linkIn(secondMail.parsed.text, "/auth/invitation");
    assert.equal(
      (await ctx.request("POST", "/api/v1/auth/invitation", { body: { token: secondLink.token } })).status,
      200,
    );
    const switched = await ctx.request("PUT", "/api/v1/me/organization", {
      cookie,
      body: { organizationId: second.id },
    });
    assert.equal(switched.status, 200);
    assert.equal((await ctx.request("GET", "/api/v1/me", { cookie })).body.role, "admin");
  });

  test("sign-in link and password reset: one answer for every address; the link goes only to the address", async () => {
    const org = await ctx.createOrg("Reset org");
    const person = `resetter@${backend}.example.com`;
    await ctx.request("POST", "/api/v1/members", {
      token: org.tokens.admin,
      body: { email: person, name: "Rita", role: "viewer", language: "nb" },
    });
    const invitation = linkIn((await nextMail(person, 1)).parsed.text, "/auth/invitation");
    const session = cookieOf(
      await ctx.request("POST", "/api/v1/auth/invitation", { body: { token: invitation.token } }),
    );
    const oldPassword = "old-password-of-rita";
    assert.equal(
      (
        await ctx.request("PUT", "/api/v1/me/password", {
          cookie: session,
          body: { newPassword: oldPassword },
        })
      ).status,
      200,
    );

    for (const path of ["/api/v1/auth/sign-in-link", "/api/v1/auth/password-reset"]) {
      const answers = [];
      for (const email of [person, `nobody@${backend}.example.com`, person.toUpperCase()]) {
        const started = Date.now();
        const res = await ctx.request("POST", path, { body: { email } });
        answers.push({ status: res.status, text: res.text, tookFloor: Date.now() - started >= 390 });
      }
      assert.equal(answers[0]?.status, 202);
      assert.deepEqual(answers[1], answers[0], `${path}: unknown and known addresses answered differently`);
      assert.deepEqual(answers[2], answers[0]);
    }
    assert.equal(smtp.to(`nobody@${backend}.example.com`).length, 0);

    // Two sign-in links and two resets reached the person, in their language.
    const bySubject = (subject: string) =>
      eventually(async () => {
        const got = smtp.to(person).filter((m) => m.parsed.subject === subject);
        return got.length === 2 ? got : undefined;
      });
    const [signIn] = await bySubject("Din påloggingslenke til Auditorium");
    assert.ok(signIn);
    const signInLink = linkIn(signIn.parsed.text, "/auth/link");
    const signedIn = await ctx.request("POST", "/api/v1/auth/link", { body: { token: signInLink.token } });
    assert.equal(signedIn.status, 200);

    const [reset] = await bySubject("Tilbakestill passordet ditt i Auditorium");
    assert.ok(reset);
    const resetLink = linkIn(reset.parsed.text, "/auth/link");
    const afterReset = await ctx.request("POST", "/api/v1/auth/link", { body: { token: resetLink.token } });
    assert.equal(afterReset.status, 200);
    const fresh = cookieOf(afterReset);
    assert.equal(
      (await ctx.request("GET", "/api/v1/me", { cookie: session })).status,
      401,
      "old sessions end",
    );
    const login = await ctx.request("POST", "/api/v1/auth/login", {
      body: { email: person, password: oldPassword },
    });
    assert.equal(login.status, 401, "the old password stops working");
    const me = await ctx.request("GET", "/api/v1/me", { cookie: fresh });
    assert.equal(me.body.user.hasPassword, false);
    assert.equal(
      (
        await ctx.request("PUT", "/api/v1/me/password", {
          cookie: fresh,
          body: { newPassword: "a-brand-new-password" },
        })
      ).status,
      200,
    );
    const relogin = await ctx.request("POST", "/api/v1/auth/login", {
      body: { email: person, password: "a-brand-new-password" },
    });
    assert.equal(relogin.status, 200);
  });
});
