import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { startZoomSim, ZOOM_TEST_ACCOUNT } from "../simulators/zoom-harness.ts";

/**
 * One sender, never two: for each webinar either Auditorium sends the registrant's
 * confirmation and Zoom's own is switched off, or Zoom sends it and ours is off. The Zoom
 * simulator records the emails Zoom would send (GET /_sim/emails), the test SMTP server
 * receives ours: together, each attendee gets exactly one confirmation.
 */
const sim = await startZoomSim();
testEnv.AUDITORIUM_ZOOM_API_URL = sim.apiUrl;
testEnv.AUDITORIUM_ZOOM_OAUTH_URL = sim.oauthUrl;
let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Auditorium <events@auditorium.test>";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "200";
});
after(async () => {
  await smtp.stop();
  await sim.close();
});

type SimEmail = { webinarId: number; to: string; kind: string };
const zoomEmails = async (to: string) =>
  ((await (await fetch(`${sim.url}/_sim/emails`)).json()) as SimEmail[]).filter((e) => e.to === to);

forEachBackend("one sender, never two (Zoom)", (ctx, backend) => {
  let org: TestOrg;
  let configId: string;
  const at = (local: string) => `${local}@${backend}.example.com`;

  async function webinarEvent(title: string) {
    const start = new Date(Date.now() + 3 * 86_400_000);
    const event = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        timeZone: "Europe/Oslo",
        format: "webinar",
        webinarConfigurationId: configId,
        webinarType: "5",
      },
    });
    assert.equal(event.status, 201, event.text);
    return event.body.id as string;
  }
  async function publish(eventId: string) {
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);
    return published.body.slug as string;
  }
  const webinarOf = (eventId: string) =>
    eventually(async () => {
      const w = await ctx.database.db
        .selectFrom("webinars")
        .select(["state", "provider_webinar_id", "version", "synced_version"])
        .where("event_id", "=", eventId)
        .executeTakeFirst();
      return w?.state === "provisioned" && w.version === w.synced_version ? w : undefined;
    });
  const simWebinar = (id: string | null) => sim.state.webinars.get(Number(id));
  async function registerAndSync(slug: string, email: string) {
    const res = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body: { firstName: "Una", lastName: "Once", email },
    });
    assert.equal(res.status, 202, res.text);
    const { registrationId } = ctx.notices.last("registered");
    await eventually(async () => {
      const s = await ctx.database.db
        .selectFrom("registration_syncs")
        .select("state")
        .where("registration_id", "=", registrationId)
        .executeTakeFirst();
      return s?.state === "synced";
    });
    return registrationId;
  }
  const ourConfirmations = (registrationId: string) =>
    ctx.database.db
      .selectFrom("email_messages")
      .select(["id", "state"])
      .where("registration_id", "=", registrationId)
      .where("kind", "=", "registration.confirmation")
      .execute();

  before(async () => {
    org = await ctx.createOrg("one-sender");
    await ctx.services.syncWorker.start();
    await ctx.services.emailSender?.start();
    const admin = org.tokens.admin;
    const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: admin });
    await ctx.request("POST", "/api/v1/webinar/terms/accept", {
      token: admin,
      body: { version: terms.body.version },
    });
    const config = await ctx.request("POST", "/api/v1/webinar-configurations", {
      token: admin,
      body: {
        provider: "zoom",
        name: "Zoom",
        settings: {},
        requestsPerSecond: 50,
        credentials: ZOOM_TEST_ACCOUNT,
      },
    });
    assert.equal(config.status, 201, config.text);
    configId = config.body.id;
  });

  test("Auditorium sends: Zoom's confirmation is switched off, ours arrives, exactly one", async () => {
    const chosen = await ctx.request(
      "PATCH",
      `/api/v1/webinar-configurations/${configId}/registrant-emails`,
      {
        token: org.tokens.admin,
        body: { registrantEmails: "auditorium" },
      },
    );
    assert.equal(chosen.status, 200, chosen.text);
    const bad = await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}/registrant-emails`, {
      token: org.tokens.admin,
      body: { registrantEmails: "both" },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, "registrantEmails");

    const eventId = await webinarEvent("Ours");
    const slug = await publish(eventId);
    const webinar = await webinarOf(eventId);
    assert.equal(simWebinar(webinar.provider_webinar_id)?.confirmationEmail, false, "Zoom's switch is off");
    assert.equal(simWebinar(webinar.provider_webinar_id)?.reminderEmails, false);

    const address = at("ours");
    const registrationId = await registerAndSync(slug, address);
    const received = await eventually(async () => (smtp.to(address).length ? smtp.to(address) : undefined));
    assert.equal(received.length, 1);
    assert.match(received[0]?.parsed.subject ?? "", /^You are registered: Ours$/);
    assert.deepEqual(await zoomEmails(address), [], "Zoom sent nothing");
    assert.equal((await ourConfirmations(registrationId)).length, 1);
  });

  test("the provider sends: ours is off, Zoom's arrives, exactly one; switching over reaches Zoom", async () => {
    const eventId = await webinarEvent("Theirs");
    const override = await ctx.request("PATCH", `/api/v1/events/${eventId}/registrant-settings`, {
      token: org.tokens.marketer,
      body: { registrantEmails: "provider" },
    });
    assert.deepEqual(override.body, { doubleOptIn: null, registrantEmails: "provider" });
    const slug = await publish(eventId);
    const webinar = await webinarOf(eventId);
    assert.equal(simWebinar(webinar.provider_webinar_id)?.confirmationEmail, true);

    const address = at("theirs");
    const registrationId = await registerAndSync(slug, address);
    assert.deepEqual(
      (await zoomEmails(address)).map((e) => e.kind),
      ["confirmation"],
    );
    assert.deepEqual(await ourConfirmations(registrationId), [], "Auditorium sent none");
    assert.equal(smtp.to(address).length, 0);

    // The organizer hands it to Auditorium: the existing webinar's switch goes off at Zoom.
    const back = await ctx.request("PATCH", `/api/v1/events/${eventId}/registrant-settings`, {
      token: org.tokens.marketer,
      body: { registrantEmails: null },
    });
    assert.equal(back.status, 200, back.text);
    await eventually(async () => simWebinar(webinar.provider_webinar_id)?.confirmationEmail === false);
  });
});
