import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { draftEvent, registered } from "../helpers/events.ts";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import type { ProviderSimDriver } from "../helpers/provider-driver.ts";
import { acceptTerms, addConfiguration } from "../helpers/webinar-setup.ts";
import { start as startOn24 } from "../providers/drivers/on24.ts";
import { start as startZoom } from "../providers/drivers/zoom.ts";
import { waitUntil } from "./fixtures.ts";

/**
 * Session-level webinars end to end, through the API, the sync engine and two providers'
 * simulators: only the people a webinar session belongs to (those who chose it, and those who
 * chose no session) reach its provider, and each of them has the join link of every webinar
 * session they may attend. The rule is webinars/registration-webinars.ts.
 */
const on24 = await startOn24();
const zoom = await startZoom();
Object.assign(testEnv, on24.env, zoom.env);
after(() => Promise.all([on24.close(), zoom.close()]));

forEachBackend("session-level webinars", (ctx) => {
  let org: TestOrg;
  before(async () => {
    await ctx.services.syncWorker.start();
    org = await ctx.createOrg("session-webinars");
    await acceptTerms(ctx, org);
  });

  const configurationOf = (driver: ProviderSimDriver) =>
    addConfiguration(ctx, org, {
      provider: driver.kind,
      name: `${driver.kind} sessions`,
      requestsPerSecond: 200,
      settings: driver.configuration.settings,
      credentials: driver.configuration.credentials,
    });

  test("an on-site event whose keynote alone is a webinar: only the keynote's people reach the provider", async () => {
    const configId = await configurationOf(on24);
    const eventId = await onsiteEvent(ctx, org, "Conference with a streamed keynote");
    const keynote = await addSession(ctx, org, eventId, {
      title: "Keynote",
      startsAt: "2031-03-04T09:00",
      endsAt: "2031-03-04T10:00",
      format: "webinar",
      webinarConfigurationId: configId,
      webinarType: on24.webinarType,
    });
    const workshop = await addSession(ctx, org, eventId, {
      title: "Workshop",
      startsAt: "2031-03-04T11:00",
      endsAt: "2031-03-04T12:00",
    });
    const keynoteOnly = await register(ctx, org, eventId, "ada.keynote@example.com", [keynote]);
    const workshopOnly = await register(ctx, org, eventId, "bob.workshop@example.com", [workshop]);
    const noChoice = await register(ctx, org, eventId, "cy.nochoice@example.com", []);
    const both = await register(ctx, org, eventId, "di.both@example.com", [keynote, workshop]);

    const webinars = await provisionedWebinars(ctx, org, eventId, 1);
    assert.equal(webinars[0]?.sessionId, keynote, "the one webinar is the keynote's");
    const reached = await registrantsAt(on24, webinars[0]?.providerWebinarId as string, 3);
    assert.deepEqual(reached, ["ada.keynote@example.com", "cy.nochoice@example.com", "di.both@example.com"]);

    for (const id of [keynoteOnly, noChoice, both]) {
      const links = await joinLinksOf(ctx, org, id);
      assert.deepEqual(
        links.map((l) => l.sessionId),
        [keynote],
        "one link, the keynote's",
      );
    }
    assert.deepEqual(await joinLinksOf(ctx, org, workshopOnly), [], "the workshop is not a webinar");

    // The keynote's dashboard counts exactly the people its webinar was sent.
    const dashboard = await ctx.request(
      "GET",
      `/api/v1/events/${eventId}/webinar-dashboard?sessionId=${keynote}`,
      {
        token: org.tokens.viewer,
      },
    );
    assert.equal(dashboard.status, 200, dashboard.text);
    assert.equal(dashboard.body.funnel.registered, 3);
    const whole = await ctx.request("GET", `/api/v1/events/${eventId}/webinar-dashboard`, {
      token: org.tokens.viewer,
    });
    assert.equal(whole.body.funnel.registered, 4);
  });

  test("two webinar sessions at different providers (ON24 and Zoom): each provider gets only its session's people", async () => {
    const on24Config = await configurationOf(on24);
    const zoomConfig = await configurationOf(zoom);
    const eventId = await onsiteEvent(ctx, org, "Summit with two streamed sessions");
    const morning = await addSession(ctx, org, eventId, {
      title: "Morning on ON24",
      startsAt: "2031-03-05T09:00",
      endsAt: "2031-03-05T10:00",
      format: "webinar",
      webinarConfigurationId: on24Config,
      webinarType: on24.webinarType,
    });
    const afternoon = await addSession(ctx, org, eventId, {
      title: "Afternoon on Zoom",
      startsAt: "2031-03-05T14:00",
      endsAt: "2031-03-05T15:00",
      format: "webinar",
      webinarConfigurationId: zoomConfig,
      webinarType: zoom.webinarType,
    });
    const morningOnly = await register(ctx, org, eventId, "eve.morning@example.com", [morning]);
    const afternoonOnly = await register(ctx, org, eventId, "fay.afternoon@example.com", [afternoon]);
    const noChoice = await register(ctx, org, eventId, "gus.nochoice@example.com", []);

    const webinars = await provisionedWebinars(ctx, org, eventId, 2);
    const at = (sessionId: string) => webinars.find((w) => w.sessionId === sessionId);
    assert.equal(at(morning)?.provider, "on24");
    assert.equal(at(afternoon)?.provider, "zoom");
    assert.deepEqual(await registrantsAt(on24, at(morning)?.providerWebinarId as string, 2), [
      "eve.morning@example.com",
      "gus.nochoice@example.com",
    ]);
    assert.deepEqual(await registrantsAt(zoom, at(afternoon)?.providerWebinarId as string, 2), [
      "fay.afternoon@example.com",
      "gus.nochoice@example.com",
    ]);

    // Someone who chose no session has both links, in the sessions' order.
    const links = await joinLinksOf(ctx, org, noChoice);
    assert.deepEqual(
      links.map((l) => [l.sessionId, l.sessionTitle]),
      [
        [morning, "Morning on ON24"],
        [afternoon, "Afternoon on Zoom"],
      ],
    );
    assert.ok(links.every((l) => /^https?:\/\//.test(l.joinUrl)));
    assert.notEqual(links[0]?.joinUrl, links[1]?.joinUrl);
    assert.deepEqual(
      (await joinLinksOf(ctx, org, morningOnly)).map((l) => l.sessionId),
      [morning],
    );
    assert.deepEqual(
      (await joinLinksOf(ctx, org, afternoonOnly)).map((l) => l.sessionId),
      [afternoon],
    );

    // The registrant's own page (public registration) lists both links too.
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);
    const reg = await ctx.request("POST", `/api/v1/public/events/${published.body.slug}/registrations`, {
      body: { firstName: "Hal", lastName: "Public", email: "hal.public@example.com" },
    });
    assert.equal(reg.status, 202, reg.text);
    const { registrationId, pageToken } = ctx.notices.last("registered");
    await joinLinksOf(ctx, org, registrationId);
    const page = await ctx.request("GET", `/api/v1/public/registrations/${pageToken}`);
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(
      page.body.joinLinks.map((l: { sessionTitle: string }) => l.sessionTitle),
      ["Morning on ON24", "Afternoon on Zoom"],
    );
    assert.equal(page.body.joinUrl, page.body.joinLinks[0].joinUrl);
    // The confirmation's join link leads to the page, where they pick the session.
    const join = await ctx.request("GET", `/api/v1/public/registrations/${pageToken}/join`);
    assert.equal(join.status, 302);
    assert.equal(join.headers.location, `/r/${pageToken}`);
  });
});

async function onsiteEvent(ctx: TestContext, org: TestOrg, title: string) {
  const fields = { title, startsAt: "2031-03-04T09:00", endsAt: "2031-03-05T17:00", timeZone: "Europe/Oslo" };
  return (await draftEvent(ctx, org, fields)).id;
}

async function addSession(ctx: TestContext, org: TestOrg, eventId: string, body: Record<string, unknown>) {
  const res = await ctx.request("POST", `/api/v1/events/${eventId}/sessions`, {
    token: org.tokens.marketer,
    body,
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

async function register(
  ctx: TestContext,
  org: TestOrg,
  eventId: string,
  email: string,
  sessionIds: string[],
) {
  const person = { firstName: email.split(".")[0] as string, lastName: "Tester", email };
  return (await registered(ctx, org, eventId, person, sessionIds)).id;
}

interface WebinarRow {
  id: string;
  sessionId: string | null;
  provider: string;
  providerWebinarId: string | null;
  state: string;
}

async function provisionedWebinars(ctx: TestContext, org: TestOrg, eventId: string, count: number) {
  return waitUntil(`${count} webinar(s) provisioned`, async () => {
    const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer });
    assert.equal(res.status, 200, res.text);
    const rows = res.body.data as WebinarRow[];
    return rows.length === count && rows.every((w) => w.state === "provisioned" && w.providerWebinarId)
      ? rows
      : null;
  });
}

/** The registered emails the simulator holds for a webinar, sorted, once `count` arrived. */
async function registrantsAt(driver: ProviderSimDriver, providerWebinarId: string, count: number) {
  const emails = await waitUntil(`${count} registrant(s) at ${driver.kind}`, async () => {
    const held = (await driver.registrants(providerWebinarId)).filter((r) => r.status === "registered");
    return held.length >= count ? held.map((r) => r.email.toLowerCase()).sort() : null;
  });
  // Nobody else arrives later: every registration of the event has settled by now.
  await new Promise((r) => setTimeout(r, 500));
  const again = (await driver.registrants(providerWebinarId)).filter((r) => r.status === "registered");
  assert.equal(again.length, emails.length, `a registrant who does not belong reached ${driver.kind}`);
  return emails;
}

/** The registrant's join links as the webinar module's one rule gives them. */
async function joinLinksOf(ctx: TestContext, org: TestOrg, registrationId: string) {
  await waitUntil("the registration settled at every provider", async () => {
    const res = await ctx.request("GET", `/api/v1/registrations/${registrationId}`, {
      token: org.tokens.viewer,
    });
    const rows = (res.body.webinar ?? []) as { state: string }[];
    return rows.every((w) => w.state === "synced") ? true : null;
  });
  const { joinLinksOf: links } = await import("../../src/modules/webinars/registration-webinars.ts");
  return links(ctx.database.db, { id: registrationId, status: "registered" });
}
