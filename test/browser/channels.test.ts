import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { ON24_ACCOUNT } from "../webinars/fixtures.ts";
import { apiGet, apiPost, ConsoleWatch, signedInPage, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Campaign tracking in Chromium (issue 15 point 8): a visitor arrives on the public page from
 * a campaign link, the page sends the link's UTM parameters and the referrer, and after the
 * simulated webinar the dashboard shows registrations and attendance by channel as a chart
 * and as a table with the API's numbers.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("dashboard by channel in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    stack = await startStack();
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, { who: "admin" });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test("UTM codes from the page's address reach the registration; the dashboard shows channels", async () => {
    const terms = await apiGet(page, "/api/v1/webinar/terms");
    await apiPost(page, "/api/v1/webinar/terms/accept", { version: terms.version });
    const config = await apiPost(page, "/api/v1/webinar-configurations", {
      provider: "on24",
      name: "ON24 main",
      settings: { region: "NA" },
      credentials: ON24_ACCOUNT,
    });
    const start = new Date(Date.now() + 3 * 86400_000);
    const event = await apiPost(page, "/api/v1/events", {
      title: "Channel webinar",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "webinar",
      webinarConfigurationId: config.id,
    });
    await apiPost(page, `/api/v1/events/${event.id}/publish`, {});

    // The visitor follows a campaign link from a newsletter page.
    const visitor = await browser.newContext({ locale: "en-GB" });
    const v = await visitor.newPage();
    await consoleWatch.watch(v, "visitor");
    await v.goto(
      `${stack.baseUrl}/e/${event.slug}?utm_source=newsletter&utm_medium=email&utm_campaign=launch&utm_content=hero`,
      { referer: "https://news.example.com/issue/7?reader=ada@example.com" },
    );
    await v.getByRole("heading", { name: "Channel webinar" }).waitFor();
    await v.getByLabel("First name").fill("Ada");
    await v.getByLabel("Last name").fill("Lovelace");
    await v.getByLabel("Email").fill("ada@example.com");
    await v.getByRole("button", { name: "Register" }).click();
    await v.getByRole("heading", { name: "Check your email" }).waitFor();
    await visitor.close();
    const regs = await apiGet(page, `/api/v1/events/${event.id}/registrations`);
    assert.deepEqual(regs.data[0].campaign, {
      utmSource: "newsletter",
      utmMedium: "email",
      utmCampaign: "launch",
      utmTerm: null,
      utmContent: "hero",
      referrer: "https://news.example.com/issue/7",
    });

    // More people from other channels, and some with none ("direct").
    const people: [string, Record<string, string> | undefined][] = [
      ["grace", { utmSource: "newsletter", utmMedium: "email" }],
      ["alan", { utmSource: "linkedin", utmMedium: "social" }],
      ["edsger", { utmSource: "linkedin", utmMedium: "social" }],
      ["barbara", { utmSource: "linkedin", utmMedium: "social" }],
      ["donald", undefined],
      ["margaret", undefined],
    ];
    for (const [name, campaign] of people)
      await apiPost(page, `/api/v1/public/events/${event.slug}/registrations`, {
        firstName: name,
        lastName: "Tester",
        email: `${name}@example.com`,
        ...(campaign && { campaign }),
      });

    const webinar = await until("all seven at ON24", async () => {
      const w = (await apiGet(page, `/api/v1/events/${event.id}/webinars`)).data[0];
      return w?.providerWebinarId && w.stats.sync.synced === 7 ? w : null;
    });
    const run = await fetch(`${stack.sim.url}/_sim/events/${webinar.providerWebinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ seed: 3, attendanceRate: 0.6, walkIns: 0 }),
    });
    assert.equal(run.status, 200, await run.text());
    // "Refresh now" asks for an early metrics poll, as in the web app test.
    await page.goto(`${stack.baseUrl}/events/${event.id}/dashboard`);
    await until("attendance stored", async () => {
      await page.getByRole("button", { name: "Refresh now" }).click();
      const w = (await apiGet(page, `/api/v1/events/${event.id}/webinars`)).data[0];
      return w.lastMetricsAt && w.stats.attendedLive + w.stats.watchedOnDemand > 0;
    });

    const dashboard = await apiGet(page, `/api/v1/events/${event.id}/webinar-dashboard`);
    const channels = dashboard.byChannel as {
      source: string;
      medium: string | null;
      registered: number;
      attended: number;
      noShow: number;
    }[];
    assert.deepEqual(
      channels.map((c) => [c.source, c.medium, c.registered]),
      [
        ["linkedin", "social", 3],
        ["direct", null, 2],
        ["newsletter", "email", 2],
      ],
    );
    assert.equal(
      channels.reduce((n, c) => n + c.attended, 0),
      dashboard.funnel.registered - dashboard.funnel.noShow,
    );

    await page.getByRole("button", { name: "Refresh now" }).click();
    const table = page.getByTestId("by-channel-table");
    const expected = channels.map((c) =>
      [c.medium ? `${c.source} / ${c.medium}` : c.source, c.registered, c.attended, c.noShow].join("|"),
    );
    await until("the channel table shows the API's numbers", async () => {
      const rows = await table.locator("tbody tr").allInnerTexts();
      return rows.map((r) => r.split("\t").slice(0, 4).join("|")).join() === expected.join();
    });
    // The chart's text alternative carries the same numbers.
    const alt = await page.getByTestId("by-channel").locator("[role=img]").getAttribute("aria-label");
    assert.match(alt ?? "", /linkedin \/ social: 3 registered, \d+ attended/);
    assert.match(await text(page.getByTestId("by-channel")), /direct/);
    await page.getByTestId("by-channel").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-by-channel.png"), fullPage: true });
    await page.getByTestId("by-channel").screenshot({ path: path.join(ARTIFACTS, "dashboard-channels.png") });
  });
});
