import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { pkcePair } from "../../src/providers/teams/organizer-consent.ts";
import {
  simJson,
  startTeamsSim,
  TEAMS_APP,
  TEAMS_ORGANIZER,
  TEAMS_TENANT,
  type TeamsSim,
} from "../simulators/teams-fixtures.ts";
import { ConsoleWatch, shot, signedInPage, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Issue 15, point 4: the Teams organizer's consent in Chromium. The admin clicks "Connect
 * organizer", consents at the Microsoft sign-in (the Graph simulator, which here refuses app-only
 * webinar writes as real Graph does), comes back connected, and a webinar is then created with
 * the organizer's delegated token. A code obtained for another PKCE verifier is refused, a
 * replayed state is refused, and the rotated refresh token survives app restarts.
 */
let sim: TeamsSim;
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
let configId: string;
/** The callback URL the successful consent came back on (for the replay). */
let callbackUrl = "";
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

async function api(method: "GET" | "POST" | "DELETE", path: string, data?: unknown) {
  const res = await page.request.fetch(`${stack.baseUrl}${path}`, {
    method,
    ...(data !== undefined && { data }),
    maxRedirects: 0,
  });
  const text = await res.text();
  return { status: res.status(), text, body: text ? JSON.parse(text) : null };
}

async function grantRow() {
  return stack.db
    .selectFrom("organizer_grants")
    .selectAll()
    .where("configuration_id", "=", configId)
    .executeTakeFirst();
}

/** A webinar event on the configuration, provisioned at the simulator; answers the Graph event id. */
async function provisionedWebinar(title: string) {
  const start = new Date(Date.now() + 3600_000);
  const created = await api("POST", "/api/v1/events", {
    title,
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 3600_000).toISOString(),
    timeZone: "Europe/Oslo",
    format: "webinar",
    webinarConfigurationId: configId,
    webinarType: "webinar",
  });
  assert.equal(created.status, 201, created.text);
  return until(
    `${title} provisioned`,
    async () => {
      const w = (await api("GET", `/api/v1/events/${created.body.id}/webinars`)).body.data[0];
      assert.notEqual(w?.state, "failed", JSON.stringify(w));
      return w?.state === "provisioned" ? (w.providerWebinarId as string) : null;
    },
    60_000,
  );
}

describe("Teams organizer consent in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    sim = await startTeamsSim({ delegatedWritesOnly: true });
    stack = await startStack({
      env: { AUDITORIUM_GRAPH_URL: sim.graphUrl, AUDITORIUM_MS_LOGIN_URL: sim.loginUrl },
    });
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, {
      who: "admin",
      viewport: { width: 1280, height: 1200 },
    });
    const terms = await api("GET", "/api/v1/webinar/terms");
    assert.equal(
      (await api("POST", "/api/v1/webinar/terms/accept", { version: terms.body.version })).status,
      200,
    );
    const config = await api("POST", "/api/v1/webinar-configurations", {
      provider: "teams",
      name: "Teams",
      settings: { tenantId: TEAMS_TENANT, organizerUserId: TEAMS_ORGANIZER },
      requestsPerSecond: 50,
      credentials: TEAMS_APP,
    });
    assert.equal(config.status, 201, config.text);
    configId = config.body.id;
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await sim?.close();
  });

  test("without an organizer, real Graph (app-only) refuses to create the webinar", async () => {
    const start = new Date(Date.now() + 3600_000);
    const created = await api("POST", "/api/v1/events", {
      title: "App-only webinar",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "webinar",
      webinarConfigurationId: configId,
      webinarType: "webinar",
    });
    assert.equal(created.status, 201, created.text);
    const w = await until("the app-only create refused", async () => {
      const row = (await api("GET", `/api/v1/events/${created.body.id}/webinars`)).body.data[0];
      return row?.state === "failed" ? row : null;
    });
    assert.match(JSON.stringify(w), /forbidden|403/i);
    assert.equal(sim.state.events.size, 0, "nothing was created at Graph");
  });

  test("the admin connects the organizer at the Microsoft sign-in and comes back connected", async () => {
    await page.goto(`${stack.baseUrl}/settings/webinars`);
    const card = page.getByTestId("configuration");
    await card
      .getByTestId("organizer")
      .getByText(/not connected/)
      .waitFor();
    const back = page.waitForRequest((r) => r.url().includes("/api/v1/auth/microsoft-organizer/callback"));
    await card.getByRole("button", { name: "Connect organizer" }).click();
    // Microsoft's consent page (the simulator's), on the sign-in origin.
    await page.getByRole("heading", { name: "Permissions requested" }).waitFor();
    assert.equal(new URL(page.url()).origin, sim.url);
    const authorize = new URL(page.url());
    assert.equal(authorize.pathname, `/${TEAMS_TENANT}/oauth2/v2.0/authorize`);
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.match(authorize.searchParams.get("scope") ?? "", /offline_access/);
    assert.equal(await page.locator("#user").textContent(), "Olivia Organizer");
    await shot(page, "teams-consent-page");
    await page.getByRole("button", { name: "Accept" }).click();
    callbackUrl = (await back).url();
    await page.getByTestId("organizer-notice").waitFor();
    assert.equal(new URL(page.url()).pathname, "/settings/webinars");
    await card
      .getByTestId("organizer")
      .getByText(/Olivia Organizer, connected on/)
      .waitFor();
    await shot(page, "teams-consent-connected");

    const grant = await grantRow();
    assert.ok(grant, "the grant is stored");
    assert.equal(grant.organizer_user_id, TEAMS_ORGANIZER);
    const live = [...sim.state.refreshTokens.entries()].filter(([, g]) => !g.used).map(([t]) => t);
    assert.equal(live.length, 1);
    const stored = JSON.stringify(grant.refresh_token);
    assert.ok(!stored.includes(live[0] as string), "the refresh token is stored sealed, not in clear");
    assert.match(stored, /"ciphertext"/);
    // Nothing secret in the configuration's answer, and the verifier was wiped when used.
    const listed = await api("GET", "/api/v1/webinar-configurations");
    assert.ok(!listed.text.includes(live[0] as string));
    assert.equal(listed.body.data[0].organizer.id, TEAMS_ORGANIZER);
    const requests = await stack.db.selectFrom("organizer_consent_requests").selectAll().execute();
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.code_verifier, null);
    assert.ok(requests[0]?.used_at);
    const actions = (
      await stack.db.selectFrom("audit_log").select("action").where("target_id", "=", configId).execute()
    ).map((a) => a.action);
    assert.ok(actions.includes("webinar_configuration.organizer_consent_started"));
    assert.ok(actions.includes("webinar_configuration.organizer_connected"));
  });

  test("a webinar is then created with the organizer's delegated token", async () => {
    const graphId = await provisionedWebinar("Delegated webinar");
    const at = await simJson(sim, `/webinars/${encodeURIComponent(graphId)}`);
    assert.equal(at.status, "published");
    assert.deepEqual(await simJson(sim, `/webinars/${encodeURIComponent(graphId)}/created-by`), {
      organizerUserId: TEAMS_ORGANIZER,
      clientId: TEAMS_APP.clientId,
      userId: TEAMS_ORGANIZER,
      token: "delegated",
    });
    // The access token from the consent was used: no refresh yet.
    const tokens = await simJson(sim, "/tokens");
    assert.equal(tokens.requests["authorization_code:200"], 1);
    assert.equal(tokens.requests["refresh_token:200"], undefined);
  });

  test("a replayed state is refused and changes nothing", async () => {
    const before = await grantRow();
    const replay = await page.request.get(callbackUrl, { maxRedirects: 0 });
    assert.equal(replay.status(), 400);
    const body = await replay.json();
    assert.equal(body.error.code, "consent_state_used");
    assert.equal(body.error.field, "state");
    assert.deepEqual(await grantRow(), before);
    // A made-up state is refused the same way.
    const unknown = await page.request.get(
      `${stack.baseUrl}/api/v1/auth/microsoft-organizer/callback?state=made-up&code=x`,
      { maxRedirects: 0 },
    );
    assert.equal(unknown.status(), 400);
    assert.equal((await unknown.json()).error.code, "consent_state_unknown");
  });

  test("a code issued for another PKCE verifier is refused (invalid_grant), nothing is stored", async () => {
    const before = await grantRow();
    const started = await api("POST", `/api/v1/webinar-configurations/${configId}/organizer-consent`);
    assert.equal(started.status, 201, started.text);
    const ours = new URL(started.body.authorizeUrl);
    const state = ours.searchParams.get("state") ?? "";
    // An attacker's code: issued at Microsoft for the attacker's own challenge, injected into our callback.
    const attacker = new URL(ours);
    attacker.searchParams.set("code_challenge", pkcePair().challenge);
    attacker.searchParams.set("sim_auto", "1");
    const issued = await fetch(attacker, { redirect: "manual" });
    const code = new URL(issued.headers.get("location") ?? "").searchParams.get("code") ?? "";
    assert.ok(code);
    const res = await page.request.get(
      `${stack.baseUrl}/api/v1/auth/microsoft-organizer/callback?${new URLSearchParams({ state, code })}`,
      { maxRedirects: 0 },
    );
    assert.equal(res.status(), 400);
    const body = await res.json();
    assert.equal(body.error.code, "consent_code_refused");
    assert.equal(body.error.field, "code");
    assert.match(body.error.message, /invalid_grant \(AADSTS50148\)/);
    assert.deepEqual(await grantRow(), before, "the connected organizer is unchanged");
    // Microsoft's own answer to the wrong verifier, as the identity platform words it.
    const direct = await fetch(`${sim.loginUrl}/${TEAMS_TENANT}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: TEAMS_APP.clientId,
        client_secret: TEAMS_APP.clientSecret,
        code,
        redirect_uri: ours.searchParams.get("redirect_uri") ?? "",
        code_verifier: pkcePair().verifier,
      }),
    });
    assert.equal(direct.status, 400);
    const refused = (await direct.json()) as {
      error: string;
      error_codes: number[];
      error_description: string;
    };
    assert.equal(refused.error, "invalid_grant");
    assert.deepEqual(refused.error_codes, [50148]);
    assert.match(refused.error_description, /^AADSTS50148: The code_verifier does not match/);
  });

  test("the rotated refresh token is stored with its use and survives app restarts", async () => {
    const first = await grantRow();
    assert.ok(first);
    // A restart forgets the access token: the next webinar write redeems the stored refresh token.
    await stack.restart();
    const one = await provisionedWebinar("After the first restart");
    assert.equal((await simJson(sim, `/webinars/${encodeURIComponent(one)}/created-by`)).token, "delegated");
    const second = await grantRow();
    assert.ok(second);
    assert.equal(second.rotations, 1);
    assert.notDeepEqual(second.refresh_token, first.refresh_token, "the rotated token replaced the old one");
    // The simulator refuses a used refresh token: a second restart works only with the rotated one.
    await stack.restart();
    const two = await provisionedWebinar("After the second restart");
    assert.equal((await simJson(sim, `/webinars/${encodeURIComponent(two)}/created-by`)).token, "delegated");
    assert.equal((await grantRow())?.rotations, 2);
    const tokens = await simJson(sim, "/tokens");
    assert.equal(tokens.requests["refresh_token:200"], 2);
    assert.equal(tokens.requests["refresh_token:400"], undefined, "no stale refresh token was presented");
    assert.equal(tokens.refreshTokens.live, 1);
  });
});
