import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { ProviderSimDriver } from "../helpers/provider-driver.ts";
import { start as startZoom, ZOOM_ACCOUNT } from "../providers/drivers/zoom.ts";
import { ON24_ACCOUNT } from "../webinars/fixtures.ts";
import { apiGet, ConsoleWatch, shot, signedInPage, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Webinars per session in the admin app, in Chromium: an on-site event's keynote is put on
 * ON24 and its workshop on Zoom from the event page; each session shows its webinar's state at
 * the provider and its join link once provisioned, and after the webinars ran, the recording
 * links the providers gave.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let zoom: ProviderSimDriver;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("webinars per session in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    zoom = await startZoom();
    stack = await startStack({ env: zoom.env });
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, {
      who: "admin",
      viewport: { width: 1280, height: 1200 },
    });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    assert.deepEqual(consoleWatch.cspViolations, [], "CSP violations");
    await browser?.close();
    await stack?.stop();
    await zoom?.close();
  });

  const post = async (url: string, data: unknown, status = 201) => {
    const res = await page.request.post(`${stack.baseUrl}${url}`, { data });
    assert.equal(res.status(), status, `${url}: ${await res.text()}`);
    return res.json();
  };

  test("the keynote goes to ON24 and the workshop to Zoom; each shows its state, join link and recording", async () => {
    const terms = await apiGet(page, "/api/v1/webinar/terms");
    await post("/api/v1/webinar/terms/accept", { version: terms.version }, 200);
    await post("/api/v1/webinar-configurations", {
      provider: "on24",
      name: "ON24 main",
      settings: { region: "NA" },
      credentials: ON24_ACCOUNT,
    });
    await post("/api/v1/webinar-configurations", {
      provider: "zoom",
      name: "Zoom studio",
      settings: {},
      credentials: ZOOM_ACCOUNT,
    });
    const event = await post("/api/v1/events", {
      title: "Summit with streamed sessions",
      startsAt: "2031-05-06T09:00",
      endsAt: "2031-05-06T17:00",
      timeZone: "Europe/Oslo",
      format: "onsite",
    });
    for (const [title, startsAt, endsAt] of [
      ["Keynote", "2031-05-06T09:00", "2031-05-06T10:00"],
      ["Workshop", "2031-05-06T11:00", "2031-05-06T12:00"],
    ])
      await post(`/api/v1/events/${event.id}/sessions`, { title, startsAt, endsAt });

    await page.goto(`${stack.baseUrl}/events/${event.id}`);
    const session = (title: string) => page.getByTestId("session-item").filter({ hasText: title });
    await session("Keynote").getByText("Not a webinar").waitFor();
    await page.getByLabel("Webinar account for Keynote").selectOption({ label: "ON24 main (on24)" });
    await page.getByLabel("Webinar account for Workshop").selectOption({ label: "Zoom studio (zoom)" });

    // Each session's own webinar reaches its own provider; the page follows it to provisioned.
    for (const [title, provider] of [
      ["Keynote", "on24"],
      ["Workshop", "zoom"],
    ] as const) {
      const state = session(title).getByTestId("webinar-state");
      await state.getByText("Provider state: provisioned").waitFor({ timeout: 30_000 });
      assert.match(await text(state), new RegExp(`^${provider} `));
      const link = await session(title).getByTestId("webinar-join-link").getAttribute("href");
      assert.match(
        link ?? "",
        provider === "on24" ? /^https:\/\/event\.on24\.com\// : /^https:\/\/zoom\.us\/j\/\d+$/,
      );
    }
    const webinars = (await apiGet(page, `/api/v1/events/${event.id}/webinars`)).data as {
      id: string;
      sessionId: string;
      provider: string;
      providerWebinarId: string;
      joinUrl: string;
    }[];
    assert.deepEqual(webinars.map((w) => w.provider).sort(), ["on24", "zoom"]);
    const keynoteLink = await session("Keynote").getByTestId("webinar-join-link").getAttribute("href");
    assert.equal(keynoteLink, webinars.find((w) => w.provider === "on24")?.joinUrl);
    await shot(page, "session-webinars");

    // The webinars run at the providers and the day is over on our clock: the recordings come.
    const on24Id = webinars.find((w) => w.provider === "on24")?.providerWebinarId;
    const run = await fetch(`${stack.sim.url}/_sim/events/${on24Id}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ seed: 3, attendanceRate: 1 }),
    });
    assert.equal(run.status, 200, await run.text());
    await zoom.runWebinar(webinars.find((w) => w.provider === "zoom")?.providerWebinarId as string, []);
    const ended = new Date(Date.now() - 3 * 3_600_000);
    await stack.database.db
      .updateTable("event_sessions")
      .set({ starts_at: new Date(ended.getTime() - 3_600_000), ends_at: ended })
      .where("event_id", "=", event.id)
      .execute();
    for (const w of webinars) await post(`/api/v1/webinars/${w.id}/poll`, undefined, 202);
    await until(
      "both recordings fetched",
      async () => {
        const rows = (await apiGet(page, `/api/v1/events/${event.id}/webinars`)).data;
        if (rows.every((w: { recording: unknown }) => w.recording)) return true;
        for (const w of webinars) await post(`/api/v1/webinars/${w.id}/poll`, undefined, 202);
        return false;
      },
      60_000,
    );
    await page.reload();
    await session("Keynote").getByTestId("webinar-recording").waitFor();
    assert.match(
      await text(session("Keynote").getByTestId("webinar-recording").locator("..")),
      /^On demand: /,
    );
    assert.match(
      (await session("Workshop").getByTestId("webinar-recording").getAttribute("href")) ?? "",
      /^https:\/\/zoom\.us\/rec\/share\/.+\?pwd=/,
    );
    assert.match(
      await text(session("Workshop").getByTestId("webinar-recording").locator("..")),
      /^Recording: /,
    );
    await shot(page, "session-webinars-recordings");
  });
});
