import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { before, test } from "node:test";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/lib/logger.ts";
import {
  backends,
  forEachBackend,
  type Response,
  type TestContext,
  type TestOrg,
} from "../helpers/harness.ts";
import { acceptInvitation, addMember as addMemberByInvitation } from "../helpers/invitations.ts";

const PUBLIC_URL = "http://localhost:3000";
const OWN_ORIGIN = { origin: PUBLIC_URL };

/** The cookie pair (`name=value`) a sign-in response set, or fail. */
function sessionCookie(res: Response): string {
  const header = [res.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith("auditorium_session="));
  assert.ok(header, `no session cookie in ${JSON.stringify(res.headers)}`);
  return header.split(";")[0] as string;
}

const linkToken = (url: string) => new URL(url).searchParams.get("token") as string;

forEachBackend("access", (ctx, backendName) => {
  let org: TestOrg;
  /** Every response text of this suite, scanned for stored hashes at the end. */
  const texts: string[] = [];
  /** Secrets handed out; they must never reach the logs. */
  const secrets: string[] = [];

  async function call(method: string, url: string, options: Parameters<TestContext["request"]>[2] = {}) {
    const res = await ctx.request(method, url, options);
    texts.push(res.text);
    return res;
  }

  async function signIn(userId: string): Promise<string> {
    const url = await ctx.services.sessions.issueSignInLink(userId);
    secrets.push(linkToken(url));
    const res = await call("POST", "/api/v1/auth/link", { body: { token: linkToken(url) } });
    assert.equal(res.status, 200, res.text);
    const cookie = sessionCookie(res);
    secrets.push(cookie.split("=")[1] as string);
    return cookie;
  }

  async function addMember(token: string, email: string, role: string) {
    const added = await addMemberByInvitation(ctx, token, { email, name: "Member", role });
    secrets.push(added.token, added.cookie.split("=")[1] as string);
    return added;
  }

  before(async () => {
    org = await ctx.createOrg("Access org");
    secrets.push(...Object.values(org.tokens));
  });

  test("first start on an empty database: one link, which signs in once", async () => {
    // A database of our own, so no other user exists yet.
    const backend = backends().find((b) => b.name === backendName);
    assert.ok(backend);
    const opened = await backend.open();
    await migrateToLatest(opened.database.db);
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    });
    const built = await buildApp({
      config: loadConfig({ AUDITORIUM_PUBLIC_URL: PUBLIC_URL }),
      database: opened.database,
      logger: createLogger("info", sink),
    });
    try {
      const link = await built.services.sessions.bootstrap("Owner@Example.com");
      assert.ok(link, "the first start returns a link");
      assert.match(link, /^http:\/\/localhost:3000\/auth\/link\?token=[A-Za-z0-9_-]{43}$/);
      assert.equal(await built.services.sessions.bootstrap("other@example.com"), null);

      const url = new URL(link);
      const open = await built.app.inject({ method: "GET", url: url.pathname + url.search });
      assert.equal(open.statusCode, 302, open.body);
      assert.equal(open.headers.location, "/");
      const setCookie = String(open.headers["set-cookie"]);
      assert.match(setCookie, /^auditorium_session=[A-Za-z0-9_-]{43};/);
      assert.match(setCookie, /; HttpOnly/);
      assert.match(setCookie, /; SameSite=Strict/);
      const cookie = setCookie.split(";")[0] as string;

      const me = await built.app.inject({ method: "GET", url: "/api/v1/me", headers: { cookie } });
      assert.equal(me.statusCode, 200, me.body);
      const body = me.json();
      assert.equal(body.user.email, "owner@example.com");
      assert.equal(body.user.hasPassword, false);
      assert.equal(body.role, "owner");
      assert.deepEqual(
        body.organizations.map((o: { name: string; role: string }) => [o.name, o.role]),
        [["My organization", "owner"]],
      );

      const reuse = await built.app.inject({ method: "GET", url: url.pathname + url.search });
      assert.equal(reuse.statusCode, 401);
      assert.equal(reuse.json().error.code, "link_invalid");
      assert.equal(reuse.headers["set-cookie"], undefined);

      // Request logs carry the path only: neither the link token nor the session cookie.
      const logText = logs.join("");
      assert.match(logText, /\/auth\/link/, "the request was logged");
      assert.ok(!logText.includes(url.searchParams.get("token") as string), "link token logged");
      assert.ok(!logText.includes(cookie.split("=")[1] as string), "session token logged");
    } finally {
      await built.app.close();
      await opened.database.close();
      await opened.drop();
    }
  });

  test("POST /api/v1/auth/link signs in once; unknown and expired links are refused", async () => {
    const cookie = await signIn(org.ownerId);
    const me = await call("GET", "/api/v1/me", { cookie });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, org.ownerId);
    assert.equal(me.body.organizationId, org.id);

    const url = await ctx.services.sessions.issueSignInLink(org.ownerId);
    const token = linkToken(url);
    assert.equal((await call("POST", "/api/v1/auth/link", { body: { token } })).status, 200);
    const again = await call("POST", "/api/v1/auth/link", { body: { token } });
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, "link_invalid");
    const unknown = await call("POST", "/api/v1/auth/link", { body: { token: "not-a-real-token" } });
    assert.equal(unknown.body.error.code, "link_invalid");

    const expiredUrl = await ctx.services.sessions.issueSignInLink(org.ownerId);
    const { hashToken } = await import("../../src/lib/ids.ts");
    await ctx.database.db
      .updateTable("sign_in_links")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("token_hash", "=", hashToken(linkToken(expiredUrl)))
      .execute();
    const expired = await call("POST", "/api/v1/auth/link", { body: { token: linkToken(expiredUrl) } });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, "link_invalid");
  });

  test("passwords: at least 12 characters; changing needs the current one; login", async () => {
    const member = await addMember(org.tokens.owner, "pw@example.com", "viewer");
    const cookie = await signIn(member.userId);
    const short = await call("PUT", "/api/v1/me/password", {
      cookie,
      body: { newPassword: "short" },
    });
    assert.equal(short.status, 400);
    assert.equal(short.body.error.field, "newPassword");

    const first = "correct horse battery";
    secrets.push(first);
    assert.equal(
      (await call("PUT", "/api/v1/me/password", { cookie, body: { newPassword: first } })).status,
      200,
    );
    assert.equal((await call("GET", "/api/v1/me", { cookie })).body.user.hasPassword, true);

    const second = "staple of the century";
    secrets.push(second);
    const missing = await call("PUT", "/api/v1/me/password", { cookie, body: { newPassword: second } });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error.field, "currentPassword");
    const wrong = await call("PUT", "/api/v1/me/password", {
      cookie,
      body: { newPassword: second, currentPassword: "not the password" },
    });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.field, "currentPassword");

    const login = await call("POST", "/api/v1/auth/login", {
      body: { email: "PW@example.com", password: first },
    });
    assert.equal(login.status, 200, login.text);
    const loginCookie = sessionCookie(login);
    secrets.push(loginCookie.split("=")[1] as string);
    assert.equal((await call("GET", "/api/v1/me", { cookie: loginCookie })).body.user.id, member.userId);

    const bad = await call("POST", "/api/v1/auth/login", {
      body: { email: "pw@example.com", password: second },
    });
    const nobody = await call("POST", "/api/v1/auth/login", {
      body: { email: "nobody@example.com", password: first },
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers["set-cookie"], undefined);
    assert.deepEqual(nobody.body, bad.body, "unknown email and wrong password answer alike");
    assert.equal(nobody.status, 401);

    // Changing the password ends the user's other sessions, keeping the one that changed it.
    const change = await call("PUT", "/api/v1/me/password", {
      cookie,
      body: { newPassword: second, currentPassword: first },
    });
    assert.equal(change.status, 200, change.text);
    assert.equal((await call("GET", "/api/v1/me", { cookie })).status, 200);
    assert.equal((await call("GET", "/api/v1/me", { cookie: loginCookie })).status, 401);
    const old = await call("POST", "/api/v1/auth/login", {
      body: { email: "pw@example.com", password: first },
    });
    assert.equal(old.status, 401);
    const now = await call("POST", "/api/v1/auth/login", {
      body: { email: "pw@example.com", password: second },
    });
    assert.equal(now.status, 200);
  });

  test("logout ends the session; a token cannot log out or set a password", async () => {
    const cookie = await signIn(org.ownerId);
    assert.equal((await call("GET", "/api/v1/me", { cookie })).status, 200);
    const out = await call("POST", "/api/v1/auth/logout", { cookie, headers: OWN_ORIGIN });
    assert.equal(out.status, 200);
    assert.match(String(out.headers["set-cookie"]), /^auditorium_session=;/);
    const after = await call("GET", "/api/v1/me", { cookie });
    assert.equal(after.status, 401);
    assert.equal((await call("POST", "/api/v1/auth/logout", { token: org.tokens.owner })).status, 403);
    const pw = await call("PUT", "/api/v1/me/password", {
      token: org.tokens.owner,
      body: { newPassword: "long enough password" },
    });
    assert.equal(pw.status, 403);
  });

  test("API tokens: shown once, never listed, last use recorded, revocable, capped", async () => {
    const created = await call("POST", "/api/v1/api-tokens", {
      token: org.tokens.admin,
      body: { name: "ci", role: "marketer" },
    });
    assert.equal(created.status, 201, created.text);
    const secret: string = created.body.token;
    secrets.push(secret);
    assert.match(secret, /^aud_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.prefix, secret.slice(0, 10));
    assert.equal(created.body.lastUsedAt, null);

    const list = await call("GET", "/api/v1/api-tokens", { token: org.tokens.admin });
    assert.equal(list.status, 200);
    const listed = list.body.data.find((t: { id: string }) => t.id === created.body.id);
    assert.equal(listed.lastUsedAt, null);
    assert.equal(listed.prefix, secret.slice(0, 10));
    for (const t of Object.values(org.tokens)) assert.ok(!list.text.includes(t), "a secret is listed");
    assert.ok(!list.text.includes(secret), "the new secret is listed");
    assert.ok(!list.text.includes(secret.slice(10)), "the secret's tail is listed");

    assert.equal((await call("GET", "/api/v1/events", { token: secret })).status, 200);
    const used = (await call("GET", "/api/v1/api-tokens", { token: org.tokens.admin })).body.data.find(
      (t: { id: string }) => t.id === created.body.id,
    );
    assert.ok(used.lastUsedAt && Date.now() - Date.parse(used.lastUsedAt) < 60_000, used.lastUsedAt);

    assert.equal(
      (await call("DELETE", `/api/v1/api-tokens/${created.body.id}`, { token: org.tokens.admin })).status,
      204,
    );
    const revoked = await call("GET", "/api/v1/events", { token: secret });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.code, "token_invalid");
    assert.equal(
      (await call("DELETE", `/api/v1/api-tokens/${created.body.id}`, { token: org.tokens.admin })).status,
      404,
    );

    const higher = await call("POST", "/api/v1/api-tokens", {
      token: org.tokens.admin,
      body: { name: "escalate", role: "owner" },
    });
    assert.equal(higher.status, 403);
    assert.equal(
      (
        await call("POST", "/api/v1/api-tokens", {
          token: org.tokens.marketer,
          body: { name: "m", role: "viewer" },
        })
      ).status,
      403,
    );
  });

  test("a token acts with its creator's current role; removing the creator disables it for good", async () => {
    const admin = await addMember(org.tokens.owner, "token-admin@example.com", "admin");
    const cookie = await signIn(admin.userId);
    const created = await call("POST", "/api/v1/api-tokens", {
      cookie,
      headers: OWN_ORIGIN,
      body: { name: "admin's", role: "admin" },
    });
    assert.equal(created.status, 201, created.text);
    const secret: string = created.body.token;
    secrets.push(secret);
    assert.equal((await call("GET", "/api/v1/members", { token: secret })).status, 200);

    const demote = await call("PATCH", `/api/v1/members/${admin.userId}`, {
      token: org.tokens.owner,
      body: { role: "viewer" },
    });
    assert.equal(demote.status, 200, demote.text);
    assert.equal((await call("GET", "/api/v1/members", { token: secret })).status, 403);
    assert.equal((await call("GET", "/api/v1/events", { token: secret })).status, 200);

    const removed = await call("DELETE", `/api/v1/members/${admin.userId}`, { token: org.tokens.owner });
    assert.equal(removed.status, 204);
    assert.equal((await call("GET", "/api/v1/events", { token: secret })).status, 401);
    assert.equal((await call("GET", "/api/v1/me", { cookie })).status, 401);

    // Coming back does not revive what removal disabled.
    await addMember(org.tokens.owner, "token-admin@example.com", "admin");
    assert.equal((await call("GET", "/api/v1/events", { token: secret })).status, 401);
    assert.equal((await call("GET", "/api/v1/me", { cookie })).status, 401);
  });

  test("members: invited people accept by the emailed link; admins manage only marketers and viewers", async () => {
    const invited = await call("POST", "/api/v1/members", {
      token: org.tokens.admin,
      body: { email: "new-marketer@example.com", name: "Member", role: "marketer" },
    });
    assert.equal(invited.status, 202);
    assert.ok(!/token=/.test(invited.text), "the inviter's answer carries no link");
    const added = await acceptInvitation(ctx, "new-marketer@example.com");
    secrets.push(added.token);
    const me = await call("GET", "/api/v1/me", { cookie: added.cookie });
    assert.equal(me.body.role, "marketer");
    assert.equal(me.body.organizationId, org.id);

    const dup = await call("POST", "/api/v1/members", {
      token: org.tokens.admin,
      body: { email: "NEW-marketer@example.com", name: "Again", role: "viewer" },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "already_member");

    for (const role of ["admin", "owner"]) {
      const res = await call("POST", "/api/v1/members", {
        token: org.tokens.admin,
        body: { email: `want-${role}@example.com`, name: "X", role },
      });
      assert.equal(res.status, 403, `admin created an ${role}`);
      const promote = await call("PATCH", `/api/v1/members/${added.userId}`, {
        token: org.tokens.admin,
        body: { role },
      });
      assert.equal(promote.status, 403, `admin granted ${role}`);
    }
    const members = await call("GET", "/api/v1/members", { token: org.tokens.admin });
    assert.ok(!members.text.includes("want-admin@example.com"));
    assert.equal(
      (await call("DELETE", `/api/v1/members/${org.ownerId}`, { token: org.tokens.admin })).status,
      403,
    );
    assert.equal(
      (
        await call("PATCH", `/api/v1/members/${added.userId}`, {
          token: org.tokens.admin,
          body: { role: "viewer" },
        })
      ).status,
      200,
    );
  });

  test("inviting an existing user grants nothing until they accept (it would open their other organizations)", async () => {
    const other = await ctx.createOrg("Other access org");
    secrets.push(...Object.values(other.tokens));
    const victim = await ctx.database.db
      .selectFrom("users")
      .select("email")
      .where("id", "=", org.ownerId)
      .executeTakeFirstOrThrow();
    const res = await call("POST", "/api/v1/members", {
      token: other.tokens.admin,
      body: { email: victim.email, name: "Owner", role: "viewer" },
    });
    assert.equal(res.status, 202);
    assert.ok(!/token=/.test(res.text));
    const members = await call("GET", "/api/v1/members", { token: other.tokens.admin });
    assert.ok(!members.text.includes(victim.email), "a membership without consent");
  });

  test("the last owner can be neither demoted nor removed", async () => {
    const own = await ctx.createOrg("Owners");
    secrets.push(...Object.values(own.tokens));
    const demote = await call("PATCH", `/api/v1/members/${own.ownerId}`, {
      token: own.tokens.owner,
      body: { role: "admin" },
    });
    assert.equal(demote.status, 409);
    assert.equal(demote.body.error.code, "last_owner");
    const remove = await call("DELETE", `/api/v1/members/${own.ownerId}`, { token: own.tokens.owner });
    assert.equal(remove.status, 409);
    assert.equal(remove.body.error.code, "last_owner");

    // Two owners stepping down at once: one must stay. (Each demotes itself, so neither
    // request depends on the other's caller still being an owner.)
    const second = await addMember(own.tokens.owner, `second-owner-${own.id}@example.com`, "owner");
    const secondCookie = await signIn(second.userId);
    const results = await Promise.all([
      call("PATCH", `/api/v1/members/${own.ownerId}`, { token: own.tokens.owner, body: { role: "admin" } }),
      call("PATCH", `/api/v1/members/${second.userId}`, { cookie: secondCookie, body: { role: "admin" } }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const owners = await ctx.database.db
      .selectFrom("memberships")
      .select("user_id")
      .where("organization_id", "=", own.id)
      .where("role", "=", "owner")
      .execute();
    assert.equal(owners.length, 1);
  });

  test("switching organization; not a member → 404; tokens cannot switch", async () => {
    const cookie = await signIn(org.ownerId);
    const created = await call("POST", "/api/v1/organizations", {
      cookie,
      headers: OWN_ORIGIN,
      body: { name: "Second org" },
    });
    assert.equal(created.status, 201, created.text);
    const secondId: string = created.body.id;
    assert.equal((await call("GET", "/api/v1/me", { cookie })).body.organizationId, org.id);

    const sw = await call("PUT", "/api/v1/me/organization", { cookie, body: { organizationId: secondId } });
    assert.equal(sw.status, 200, sw.text);
    const me = await call("GET", "/api/v1/me", { cookie });
    assert.equal(me.body.organizationId, secondId);
    assert.equal(me.body.role, "owner");
    const memberOf = me.body.organizations.map((o: { id: string }) => o.id);
    assert.ok(memberOf.includes(org.id) && memberOf.includes(secondId), JSON.stringify(memberOf));
    assert.equal((await call("GET", "/api/v1/organization", { cookie })).body.name, "Second org");

    const stranger = await ctx.createOrg("Stranger");
    secrets.push(...Object.values(stranger.tokens));
    const refused = await call("PUT", "/api/v1/me/organization", {
      cookie,
      body: { organizationId: stranger.id },
    });
    assert.equal(refused.status, 404);
    assert.ok(!memberOf.includes(stranger.id));
    assert.equal((await call("GET", "/api/v1/me", { cookie })).body.organizationId, secondId);
    const byToken = await call("PUT", "/api/v1/me/organization", {
      token: org.tokens.owner,
      body: { organizationId: secondId },
    });
    assert.equal(byToken.status, 403);
  });

  test("a cookie-authenticated write with a foreign Origin is refused", async () => {
    const cookie = await signIn(org.ownerId);
    const foreign = await call("POST", "/api/v1/organizations", {
      cookie,
      headers: { origin: "https://evil.example" },
      body: { name: "CSRF org" },
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, "cross_origin");
    const nullOrigin = await call("PATCH", "/api/v1/organization", {
      cookie,
      headers: { origin: "null" },
      body: { name: "CSRF rename" },
    });
    assert.equal(nullOrigin.status, 403);
    const me = await call("GET", "/api/v1/me", { cookie });
    assert.ok(!me.text.includes("CSRF"));
    const own = await call("PATCH", "/api/v1/organization", {
      cookie,
      headers: OWN_ORIGIN,
      body: { name: "Access org" },
    });
    assert.equal(own.status, 200, own.text);
  });

  test("no password hash, token hash or secret appears in responses or logs", async () => {
    const { db } = ctx.database;
    const hashes = [
      ...(await db.selectFrom("users").select("password_hash as h").execute()),
      ...(await db.selectFrom("api_tokens").select("token_hash as h").execute()),
      ...(await db.selectFrom("user_sessions").select("token_hash as h").execute()),
      ...(await db.selectFrom("sign_in_links").select("token_hash as h").execute()),
    ]
      .map((r) => r.h)
      .filter((h): h is string => h !== null);
    assert.ok(
      hashes.some((h) => h.startsWith("$argon2id$")),
      "some password hash exists to look for",
    );
    assert.ok(hashes.length > 20);
    assert.ok(texts.length > 50);
    const responses = texts.join("\n");
    const logs = ctx.logs.join("");
    assert.ok(logs.includes("incoming request"), "logs were captured");
    for (const h of hashes) {
      assert.ok(!responses.includes(h), "a stored hash reached a response");
      assert.ok(!logs.includes(h), "a stored hash reached the logs");
    }
    assert.ok(secrets.length > 10);
    for (const s of secrets) assert.ok(!logs.includes(s), "a secret reached the logs");
    assert.ok(!logs.includes("argon2"));
  });
});
