// The Graph simulator's Microsoft sign-in for a delegated organizer, on the wire: the authorize
// endpoint (consent page, accept / decline, errors before and after the redirect URI is trusted)
// and the token endpoint's authorization-code (PKCE) and refresh-token grants, with the identity
// platform's error bodies.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pkcePair } from "../../src/providers/teams/organizer-consent.ts";
import {
  startTeamsSim,
  TEAMS_APP,
  TEAMS_APP_NO_POLICY,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
  type TeamsSim,
} from "./teams-fixtures.ts";

let sim: TeamsSim;
before(async () => {
  sim = await startTeamsSim({ delegatedWritesOnly: true });
});
after(() => sim.close());

const REDIRECT = "http://127.0.0.1:9/callback";
// Wire bodies are checked field by field below.
const json = (res: Response): Promise<any> => res.json();

function authorizeUrl(challenge: string, extra: Record<string, string> = {}) {
  const q = new URLSearchParams({
    client_id: TEAMS_APP.clientId,
    response_type: "code",
    redirect_uri: REDIRECT,
    scope: "offline_access User.Read VirtualEvent.ReadWrite",
    state: "st4te",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  });
  return `${sim.loginUrl}/${TEAMS_TENANT}/oauth2/v2.0/authorize?${q}`;
}

const tokenCall = (form: Record<string, string>) =>
  fetch(`${sim.loginUrl}/${TEAMS_TENANT}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: TEAMS_APP.clientId,
      client_secret: TEAMS_APP.clientSecret,
      ...form,
    }),
  });

async function approvedCode(challenge: string) {
  const res = await fetch(authorizeUrl(challenge, { sim_auto: "1" }), { redirect: "manual" });
  assert.equal(res.status, 302);
  const back = new URL(res.headers.get("location") ?? "");
  assert.equal(back.origin + back.pathname, REDIRECT);
  assert.equal(back.searchParams.get("state"), "st4te");
  return back.searchParams.get("code") ?? "";
}

function assertAadError(body: any, error: string, code: number) {
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(body.error_description, new RegExp(`^AADSTS${code}: `));
  for (const field of ["timestamp", "trace_id", "correlation_id", "error_uri"]) assert.ok(body[field], field);
}

test("authorize: a consent page with Accept and Cancel; Cancel goes back with access_denied and the state", async () => {
  const page = await fetch(authorizeUrl(pkcePair().challenge));
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /Permissions requested/);
  assert.match(html, /VirtualEvent\.ReadWrite/);
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const declined = await fetch(`${sim.loginUrl}/${TEAMS_TENANT}/oauth2/v2.0/authorize/decision`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request, decision: "decline" }),
    redirect: "manual",
  });
  const back = new URL(declined.headers.get("location") ?? "");
  assert.equal(back.searchParams.get("error"), "access_denied");
  assert.match(back.searchParams.get("error_description") ?? "", /^AADSTS65004/);
  assert.equal(back.searchParams.get("state"), "st4te");
  assert.equal(back.searchParams.get("code"), null);
});

test("authorize: an unknown app is an error page, never a redirect; a bad response_type goes back as an error", async () => {
  const unknown = await fetch(authorizeUrl(pkcePair().challenge, { client_id: "nobody" }), {
    redirect: "manual",
  });
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /AADSTS700016/);
  const token = await fetch(authorizeUrl(pkcePair().challenge, { response_type: "token" }), {
    redirect: "manual",
  });
  assert.equal(token.status, 302);
  assert.equal(
    new URL(token.headers.get("location") ?? "").searchParams.get("error"),
    "unsupported_response_type",
  );
});

test("token: the code redeems once with the right verifier; a wrong one, a reuse and another redirect URI are invalid_grant", async () => {
  const pkce = pkcePair();
  const code = await approvedCode(pkce.challenge);
  const base = { grant_type: "authorization_code", code, redirect_uri: REDIRECT };
  const wrong = await tokenCall({ ...base, code_verifier: pkcePair().verifier });
  assert.equal(wrong.status, 400);
  assertAadError(await json(wrong), "invalid_grant", 50148);
  const missing = await tokenCall(base);
  assertAadError(await json(missing), "invalid_grant", 50148);
  const otherUri = await tokenCall({
    ...base,
    redirect_uri: "http://127.0.0.1:9/other",
    code_verifier: pkce.verifier,
  });
  assertAadError(await json(otherUri), "invalid_grant", 70002);
  const ok = await tokenCall({ ...base, code_verifier: pkce.verifier });
  assert.equal(ok.status, 200);
  const body = await json(ok);
  assert.equal(body.token_type, "Bearer");
  assert.match(body.scope, /offline_access/);
  assert.ok(body.access_token && body.refresh_token && body.expires_in > 0);
  const reuse = await tokenCall({ ...base, code_verifier: pkce.verifier });
  assertAadError(await json(reuse), "invalid_grant", 54005);

  // The delegated token is the organizer's: /me answers them, and webinar writes are allowed.
  const me = await json(
    await fetch(`${sim.graphUrl}/me`, { headers: { authorization: `Bearer ${body.access_token}` } }),
  );
  assert.equal(me.id, TEAMS_ORGANIZER);
});

test("token: a refresh token redeems once and answers a new one (rotation); the old one is invalid_grant", async () => {
  const pkce = pkcePair();
  const code = await approvedCode(pkce.challenge);
  const first = await json(
    await tokenCall({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkce.verifier,
    }),
  );
  const refreshed = await tokenCall({ grant_type: "refresh_token", refresh_token: first.refresh_token });
  assert.equal(refreshed.status, 200);
  const second = await json(refreshed);
  assert.notEqual(second.refresh_token, first.refresh_token);
  const replay = await tokenCall({ grant_type: "refresh_token", refresh_token: first.refresh_token });
  assert.equal(replay.status, 400);
  assertAadError(await json(replay), "invalid_grant", 70000);
  assert.equal(
    (await tokenCall({ grant_type: "refresh_token", refresh_token: second.refresh_token })).status,
    200,
  );
  // Another app cannot redeem it, and a wrong secret is invalid_client before anything else.
  const foreign = await fetch(`${sim.loginUrl}/${TEAMS_TENANT}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: TEAMS_APP_NO_POLICY.clientId,
      client_secret: TEAMS_APP_NO_POLICY.clientSecret,
      grant_type: "refresh_token",
      refresh_token: second.refresh_token,
    }),
  });
  assertAadError(await json(foreign), "invalid_grant", 9002313);
});

test("Graph: with delegatedWritesOnly an app-only token may not create a webinar, and /me needs a delegated token", async () => {
  const app = await json(
    await tokenCall({ grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" }),
  );
  const create = await fetch(`${sim.graphUrl}/solutions/virtualEvents/webinars`, {
    method: "POST",
    headers: { authorization: `Bearer ${app.access_token}`, "content-type": "application/json" },
    body: JSON.stringify({
      displayName: "x",
      startDateTime: { dateTime: "2030-01-01T10:00:00", timeZone: "UTC" },
      endDateTime: { dateTime: "2030-01-01T11:00:00", timeZone: "UTC" },
    }),
  });
  assert.equal(create.status, 403);
  assert.equal((await json(create)).error.code, "Forbidden");
  const me = await fetch(`${sim.graphUrl}/me`, { headers: { authorization: `Bearer ${app.access_token}` } });
  assert.equal(me.status, 400);
  assert.equal((await json(me)).error.code, "BadRequest");
});
