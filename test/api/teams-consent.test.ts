// The Teams organizer's consent through the API on both databases (the browser test drives the
// happy path in Chromium on the embedded one): who may start it, what the callback refuses, and
// refresh-token rotation under concurrency — two processes refreshing at once both succeed,
// because each redemption and the storing of its rotated token happen under one row lock.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hashToken, newSecretToken } from "../../src/lib/ids.ts";
import { createOrganizerTokens } from "../../src/modules/webinars/organizer-tokens.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { acceptTerms, addConfiguration } from "../helpers/webinar-setup.ts";
import {
  simJson,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
  type TeamsSim,
} from "../simulators/teams-fixtures.ts";

const sim: TeamsSim = await startTeamsSim();
testEnv.AUDITORIUM_GRAPH_URL = sim.graphUrl;
testEnv.AUDITORIUM_MS_LOGIN_URL = sim.loginUrl;
after(() => sim.close());

const CALLBACK = "/api/v1/auth/microsoft-organizer/callback";

forEachBackend("Teams organizer consent", (ctx) => {
  let org: TestOrg;
  let configId: string;

  /** A browser sign-in session of the org's owner (or of `userId`), as the cookie header. */
  async function session(userId = org.ownerId, role?: "viewer") {
    const token = newSecretToken();
    if (role) {
      await ctx.database.db
        .updateTable("memberships")
        .set({ role })
        .where("user_id", "=", userId)
        .where("organization_id", "=", org.id)
        .execute();
    }
    await ctx.database.db
      .insertInto("user_sessions")
      .values({
        token_hash: hashToken(token),
        user_id: userId,
        organization_id: org.id,
        expires_at: new Date(Date.now() + 3600_000),
      })
      .execute();
    return { cookie: `auditorium_session=${token}`, token };
  }

  /** Starts a consent; answers the state, the binding cookie and a code the simulator approved at once. */
  async function started(cookie: string) {
    const res = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/organizer-consent`, {
      cookie,
    });
    assert.equal(res.status, 201, res.text);
    const setCookie = [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("auditorium_consent="));
    assert.ok(setCookie, "the binding cookie is set");
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.match(setCookie, new RegExp(`Path=${CALLBACK.replaceAll("/", "\\/")}`));
    const binding = /^auditorium_consent=([^;]+)/.exec(setCookie)?.[1] ?? "";
    const authorize = new URL(res.body.authorizeUrl);
    authorize.searchParams.set("sim_auto", "1");
    const approved = await fetch(authorize, { redirect: "manual" });
    const back = new URL(approved.headers.get("location") ?? "");
    return {
      state: authorize.searchParams.get("state") ?? "",
      code: back.searchParams.get("code") ?? "",
      bindingCookie: `auditorium_consent=${binding}`,
    };
  }

  const callback = (query: Record<string, string>, cookie?: string) =>
    ctx.request("GET", `${CALLBACK}?${new URLSearchParams(query)}`, cookie ? { cookie } : {});
  const grant = () =>
    ctx.database.db
      .selectFrom("organizer_grants")
      .selectAll()
      .where("configuration_id", "=", configId)
      .executeTakeFirst();

  before(async () => {
    org = await ctx.createOrg("teams-consent");
    await acceptTerms(ctx, org);
    configId = await addConfiguration(ctx, org, {
      provider: "teams",
      name: "Teams",
      settings: { tenantId: TEAMS_TENANT, organizerUserId: TEAMS_ORGANIZER },
      credentials: TEAMS_APP,
    });
  });

  test("only a signed-in admin in a browser starts a consent, and only for Teams", async () => {
    const byToken = await ctx.request(
      "POST",
      `/api/v1/webinar-configurations/${configId}/organizer-consent`,
      {
        token: org.tokens.admin,
      },
    );
    assert.equal(byToken.status, 403, byToken.text);
    const on24 = await addConfiguration(ctx, org, {
      provider: "on24",
      settings: { region: "EU" },
      credentials: { clientId: "12345", accessTokenKey: "k", accessTokenSecret: "s" },
    });
    const { cookie } = await session();
    const notTeams = await ctx.request("POST", `/api/v1/webinar-configurations/${on24}/organizer-consent`, {
      cookie,
    });
    assert.equal(notTeams.status, 409, notTeams.text);
    assert.equal(notTeams.body.error.code, "not_teams");
    const viewer = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/organizer-consent`, {
      token: org.tokens.viewer,
    });
    assert.equal(viewer.status, 403);
    assert.equal(await grant(), undefined);
  });

  test("the callback refuses another browser, an ended sign-in and an expired state; declining stores nothing", async () => {
    const { cookie, token } = await session();
    const a = await started(cookie);
    const foreign = await callback({ state: a.state, code: a.code });
    assert.equal(foreign.status, 400, foreign.text);
    assert.equal(foreign.body.error.code, "consent_browser_mismatch");
    assert.equal(foreign.body.error.field, "state");
    await ctx.database.db.deleteFrom("user_sessions").where("token_hash", "=", hashToken(token)).execute();
    const ended = await callback({ state: a.state, code: a.code }, a.bindingCookie);
    assert.equal(ended.status, 403, ended.text);

    const s2 = await session();
    const b = await started(s2.cookie);
    await ctx.database.db
      .updateTable("organizer_consent_requests")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("state_hash", "=", hashToken(b.state))
      .execute();
    const expired = await callback({ state: b.state, code: b.code }, b.bindingCookie);
    assert.equal(expired.status, 400);
    assert.equal(expired.body.error.code, "consent_state_expired");

    const c = await started(s2.cookie);
    const declined = await callback(
      { state: c.state, error: "access_denied", error_description: "AADSTS65004: User declined" },
      c.bindingCookie,
    );
    assert.equal(declined.status, 303);
    assert.match(String(declined.headers.location), /^\/settings\/webinars\?organizer=declined/);
    const again = await callback({ state: c.state, code: c.code }, c.bindingCookie);
    assert.equal(again.body.error.code, "consent_state_used");
    assert.equal(await grant(), undefined, "nothing was connected");
    const entries = await ctx.database.db
      .selectFrom("audit_log")
      .select("action")
      .where("target_id", "=", configId)
      .where("action", "=", "webinar_configuration.organizer_connected")
      .execute();
    assert.equal(entries.length, 0);
  });

  test("connected: two processes refreshing at once both succeed, each rotated token stored with its use", async () => {
    const { cookie } = await session();
    const s = await started(cookie);
    const done = await callback({ state: s.state, code: s.code }, s.bindingCookie);
    assert.equal(done.status, 303, done.text);
    assert.match(String(done.headers.location), /organizer=connected/);
    const connected = await grant();
    assert.equal(connected?.organizer_user_id, TEAMS_ORGANIZER);
    const listed = await ctx.request("GET", "/api/v1/webinar-configurations", { token: org.tokens.viewer });
    const mine = listed.body.data.find((c: { id: string }) => c.id === configId);
    assert.equal(mine.organizer.name, "Olivia Organizer");
    assert.doesNotMatch(listed.text, /simrt\./, "no refresh token in an answer");

    const before = (await simJson(sim, "/tokens")).requests;
    // Two processes: two token caches, both empty, over the same database.
    const consent = ctx.runtime.providers.teams.organizerConsent;
    const processes = [1, 2].map(() =>
      createOrganizerTokens({ db: ctx.database.db, envelope: ctx.runtime.envelope, consent }),
    );
    const loaded = await ctx.services.configurations.loadAccount(configId);
    assert.ok(loaded);
    const tokens = await Promise.all(
      processes.map(async (p) => {
        const account = await p.attach(loaded.row, loaded.account);
        assert.ok(account.delegatedToken);
        return account.delegatedToken();
      }),
    );
    assert.equal(new Set(tokens).size, 2, "each process got its own access token");
    const after = (await simJson(sim, "/tokens")).requests;
    assert.equal((after["refresh_token:200"] ?? 0) - (before["refresh_token:200"] ?? 0), 2);
    assert.equal(after["refresh_token:400"], undefined, "no refresh token was presented twice");
    const rotated = await grant();
    assert.equal(rotated?.rotations, 2);
    // The stored token is the live one: one more refresh works.
    const third = createOrganizerTokens({ db: ctx.database.db, envelope: ctx.runtime.envelope, consent });
    const account = await third.attach(loaded.row, loaded.account);
    assert.ok(await account.delegatedToken?.());
    assert.equal((await grant())?.rotations, 3);

    // The credential check now also proves the organizer's consent (Graph /me with their token).
    const checked = await ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, {
      token: org.tokens.admin,
    });
    assert.equal(checked.body.health.status, "healthy", checked.text);
    assert.match(checked.body.health.message, /organizer's consent/);

    const off = await ctx.request("DELETE", `/api/v1/webinar-configurations/${configId}/organizer`, {
      token: org.tokens.admin,
    });
    assert.equal(off.status, 200, off.text);
    assert.equal(await grant(), undefined);
  });
});
