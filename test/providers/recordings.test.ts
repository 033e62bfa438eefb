import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import type { ProviderSimDriver } from "../helpers/provider-driver.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { waitUntil } from "../webinars/fixtures.ts";
import { loadDrivers, mergedEnv, providerSetup, provisioned } from "./guarantees/setup.ts";

/**
 * Recordings and on-demand links, for every provider through its simulator: none before the
 * webinar ended, then the provider's link arrives with the attendance poll, shows in the API
 * with when it was fetched, and the follow-up email — to the attendee and to the no-show —
 * carries it, as received by the test SMTP server.
 */
const loaded = await loadDrivers();
const drivers = loaded.flatMap((l) => (l.driver ? [l.driver] : []));
Object.assign(testEnv, mergedEnv(drivers));
after(() => Promise.all(drivers.map((d) => d.close())));
for (const l of loaded)
  if (l.error !== undefined)
    test(`recordings: ${l.name} driver starts`, () => {
      throw new Error(`driver ${l.name} failed to start: ${String(l.error)}`);
    });

/** What each provider's link looks like, as its simulator (after its vendor's documents) gives it. */
const EXPECTED: Record<string, { kind: "on_demand" | "recording"; url: RegExp }> = {
  // The audience URL: on ON24's page, on-demand viewing still counts as attendance.
  on24: { kind: "on_demand", url: /^https:\/\/event\.on24\.com\/wcc\/r\/\d+\/[0-9A-F]+$/ },
  // The cloud recording's share link with its play passcode spliced in.
  zoom: { kind: "recording", url: /^https:\/\/zoom\.us\/rec\/share\/[\w-]+\?pwd=[\w-]+$/ },
  goto: { kind: "recording", url: /^https:\/\/attendee\.gotowebinar\.com\/recording\/\d+$/ },
  teams: { kind: "on_demand", url: /^https:\/\/events\.teams\.microsoft\.com\/event\/.+\/vod$/ },
  "http-contract": { kind: "on_demand", url: /\/watch\/[^/]+$/ },
};

let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Auditorium <events@auditorium.test>";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "200";
});
after(async () => smtp.stop());

const HOUR = 3_600_000;

forEachBackend("recordings and on-demand links", (ctx, backend) => {
  let org: TestOrg;
  before(async () => {
    await ctx.services.syncWorker.start();
    await ctx.services.emailSender?.start();
    org = await ctx.createOrg("recordings");
  });

  const webinarView = async (eventId: string) => {
    const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer });
    assert.equal(res.status, 200, res.text);
    return res.body.data[0];
  };
  /** Polls through the API and waits for that poll to have run (its freshness moves on). */
  const pollOnce = async (webinarId: string, eventId: string) => {
    const before = (await webinarView(eventId)).lastMetricsAt;
    const res = await ctx.request("POST", `/api/v1/webinars/${webinarId}/poll`, {
      token: org.tokens.marketer,
    });
    assert.equal(res.status, 202, res.text);
    await waitUntil("the poll ran", async () =>
      (await webinarView(eventId)).lastMetricsAt !== before ? true : null,
    );
    return webinarView(eventId);
  };

  for (const driver of drivers) {
    describe(driver.kind, () => {
      test("the link arrives after the end, shows in the API and in the follow-up to attendee and no-show", async () => {
        const run = await recordingScenario(driver);
        assert.ok(run);
      });
    });
  }

  async function recordingScenario(driver: ProviderSimDriver) {
    const expected = EXPECTED[driver.kind];
    assert.ok(expected, `no expectation for ${driver.kind}`);
    const { configId, eventId } = await providerSetup(ctx, org, driver, "recording");
    // Auditorium sends the registrant messages (the follow-up among them), not the provider.
    const sender = await ctx.request(
      "PATCH",
      `/api/v1/webinar-configurations/${configId}/registrant-emails`,
      {
        token: org.tokens.admin,
        body: { registrantEmails: "auditorium" },
      },
    );
    assert.equal(sender.status, 200, sender.text);
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);
    const email = (who: string) => `${who}.${driver.kind}.${backend}@example.com`;
    for (const who of ["came", "missed"]) {
      const res = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
        token: org.tokens.marketer,
        body: { contact: { firstName: who, lastName: "Viewer", email: email(who) } },
      });
      assert.equal(res.status, 201, res.text);
    }
    const webinar = await provisioned(ctx, org, eventId);
    await waitUntil("both registrants at the provider", async () => {
      const held = await driver.registrants(webinar.providerWebinarId);
      return held.filter((r) => r.status === "registered").length === 2 ? true : null;
    });

    // Our clock: the event ended three hours ago (the provider's own schedule is untouched).
    const ends = new Date(Date.now() - 3 * HOUR);
    await ctx.database.db
      .updateTable("events")
      .set({ starts_at: new Date(ends.getTime() - HOUR), ends_at: ends })
      .where("id", "=", eventId)
      .execute();

    // Before the provider ran the webinar it has no recording: asked, nothing stored.
    const early = await pollOnce(webinar.id, eventId);
    assert.equal(early.recording, null, "no recording before the webinar ran");
    const asked = await ctx.database.db
      .selectFrom("webinars")
      .select(["recording_fetched_at", "recording_url"])
      .where("id", "=", webinar.id)
      .executeTakeFirstOrThrow();
    assert.ok(asked.recording_fetched_at, "the provider was asked after the end");
    assert.equal(asked.recording_url, null);

    await driver.runWebinar(webinar.providerWebinarId, [{ email: email("came"), minutes: 20 }]);
    const arrived = await waitUntil(
      "the recording link and the attendance arrive",
      async () => {
        const w = await pollOnce(webinar.id, eventId);
        return w.recording && w.stats.attendedLive === 1 ? w : null;
      },
      60_000,
    );
    assert.equal(arrived.recording.kind, expected.kind);
    assert.match(arrived.recording.url, expected.url);
    assert.ok(Date.parse(arrived.recording.fetchedAt) >= ends.getTime(), "fetched after the end");

    const sent = await ctx.services.reminders.sendFollowUps(new Date());
    assert.ok(sent >= 2, `follow-ups queued: ${sent}`);
    const [thanks] = await eventually(async () =>
      smtp.to(email("came")).length ? smtp.to(email("came")) : undefined,
    );
    const [sorry] = await eventually(async () =>
      smtp.to(email("missed")).length ? smtp.to(email("missed")) : undefined,
    );
    assert.match(thanks?.parsed.subject ?? "", /^Thank you for joining/);
    assert.match(sorry?.parsed.subject ?? "", /^Sorry we missed you/);
    for (const mail of [thanks, sorry]) {
      const text = mail?.parsed.text ?? "";
      assert.ok(text.includes("Watch the recording"), "the follow-up offers the recording");
      assert.ok(text.includes(arrived.recording.url), `the follow-up carries the link: ${text}`);
    }
    process.stdout.write(
      `recording ${driver.kind} [${backend}]: ${arrived.recording.kind} ${arrived.recording.url}\n`,
    );
    return true;
  }
});
