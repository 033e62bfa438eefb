// Campaign tracking (issue 15 point 8): UTM parameters given on the public page or through the
// API are stored on the registration and arrive at ON24 in its registrant UTM fields.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  ON24_ACCOUNT,
  type Simulator,
  startSimulator,
  waitSynced,
  webinarSetup,
} from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

const campaign = {
  utmSource: "newsletter",
  utmMedium: "email",
  utmCampaign: "spring_launch",
  utmTerm: "webinar+tips",
  utmContent: "hero-button",
  referrer: "https://news.example.com/issue/42?subscriber=pat@example.com#top",
};

forEachBackend("campaign tracking with ON24", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("campaign-org");
    await ctx.services.syncWorker.start();
  });

  test("UTM codes from the public page and the API are stored and reach ON24's registrant fields", async () => {
    const { eventId } = await webinarSetup(ctx, org);
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);
    const slug = published.body.slug as string;

    const submitted = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body: { firstName: "Pat", lastName: "Page", email: "pat.page@example.com", campaign },
    });
    assert.equal(submitted.status, 202, submitted.text);
    const viaApi = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: {
        contact: { firstName: "Ann", lastName: "Api", email: "ann.api@example.com" },
        campaign: { utmSource: "linkedin", utmMedium: "social" },
      },
    });
    assert.equal(viaApi.status, 201, viaApi.text);
    assert.deepEqual(viaApi.body.campaign, {
      utmSource: "linkedin",
      utmMedium: "social",
      utmCampaign: null,
      utmTerm: null,
      utmContent: null,
      referrer: null,
    });
    const plain = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: { firstName: "No", lastName: "Campaign", email: "none@example.com" } },
    });
    assert.equal(plain.body.campaign, null);

    // Stored: the referrer without its query and fragment (another site's personal data).
    const stored = await ctx.database.db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select(["r.id", "r.utm_source", "r.utm_term", "r.referrer"])
      .where("c.email", "=", "pat.page@example.com")
      .executeTakeFirstOrThrow();
    assert.equal(stored.utm_source, "newsletter");
    assert.equal(stored.utm_term, "webinar+tips");
    assert.equal(stored.referrer, "https://news.example.com/issue/42");
    const got = await ctx.request("GET", `/api/v1/registrations/${stored.id}`, { token: org.tokens.viewer });
    assert.equal(got.body.campaign.utmCampaign, "spring_launch");

    await waitSynced(ctx, eventId, 3, "all synced");
    const webinar = (
      await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer })
    ).body.data[0];
    // As ON24 reports its registrants (event-level list): the UTM fields are there.
    const list = await fetch(
      `${sim.baseUrls.NA}/client/${ON24_ACCOUNT.clientId}/event/${webinar.providerWebinarId}/registrant`,
      {
        headers: {
          accessTokenKey: ON24_ACCOUNT.accessTokenKey,
          accessTokenSecret: ON24_ACCOUNT.accessTokenSecret,
        },
      },
    );
    assert.equal(list.status, 200);
    const records = ((await list.json()) as { registrants: Record<string, unknown>[] }).registrants;
    const byEmail = new Map(records.map((r) => [r.email, r]));
    const pat = byEmail.get("pat.page@example.com");
    assert.equal(pat?.utmsource, "newsletter");
    assert.equal(pat?.utmmedium, "email");
    assert.equal(pat?.utmcampaign, "spring_launch");
    assert.equal(pat?.utmterm, "webinar+tips");
    assert.equal(pat?.utmcontent, "hero-button");
    const ann = byEmail.get("ann.api@example.com");
    assert.equal(ann?.utmsource, "linkedin");
    assert.equal(ann?.utmmedium, "social");
    assert.equal(ann?.utmcampaign, undefined, "an unknown code is not sent");
    const none = byEmail.get("none@example.com");
    assert.ok(none && !Object.keys(none).some((k) => k.startsWith("utm")));
  });

  test("a campaign value too long or malformed is refused with 422 naming the field, nothing stored", async () => {
    const { eventId } = await webinarSetup(ctx, org);
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    const slug = published.body.slug as string;
    const before_ = await ctx.database.db
      .selectFrom("registrations")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const cases: [Record<string, unknown>, string][] = [
      [{ utmSource: "x".repeat(201) }, "campaign.utmSource"],
      [{ utmContent: "y".repeat(201) }, "campaign.utmContent"],
      [{ referrer: `https://example.com/${"p".repeat(2000)}` }, "campaign.referrer"],
      [{ referrer: "javascript:alert(1)" }, "campaign.referrer"],
      [{ utmMedium: "a\u0000b" }, "campaign.utmMedium"],
    ];
    for (const [bad, field] of cases) {
      const pub = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
        body: { firstName: "Too", lastName: "Long", email: "too.long@example.com", campaign: bad },
      });
      assert.equal(pub.status, 422, `${field}: ${pub.text}`);
      assert.equal(pub.body.error.field, field);
      const api = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
        token: org.tokens.marketer,
        body: {
          contact: { firstName: "Too", lastName: "Long", email: "too.long@example.com" },
          campaign: bad,
        },
      });
      assert.equal(api.status, 422, `${field}: ${api.text}`);
      assert.equal(api.body.error.field, field);
    }
    const unknown = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body: { firstName: "Un", lastName: "Known", email: "un@example.com", campaign: { utmFoo: "x" } },
    });
    assert.equal(unknown.status, 400);
    const after_ = await ctx.database.db
      .selectFrom("registrations")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    assert.equal(Number(after_.n), Number(before_.n));
  });
});
