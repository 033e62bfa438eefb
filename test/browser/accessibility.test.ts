import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { accessibilityProblems, apiGet, apiPost, ConsoleWatch, signedInPage } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Every page of the web app through axe-core (0 serious or critical violations) and a
 * keyboard check: each visible control can be reached with Tab (none taken out of the tab
 * order, none hidden from it by a missing href). The pages' own suites test what they do;
 * this one makes sure no page is left out, by walking the routes the app declares.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");
const ids = { eventId: "", slug: "", pageToken: "" };

/** Visible controls a keyboard user cannot reach with Tab, described for the failure message. */
async function unreachableControls(p: Page): Promise<string[]> {
  // As text: this runs in the page, where the DOM types of this Node project do not apply.
  return p.evaluate(`[...document.querySelectorAll("a, button, input, select, textarea, summary, [role=button]")]
    .filter((el) => {
      const box = el.getBoundingClientRect();
      const shown = box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
      if (!shown || el.disabled || el.closest("[inert], dialog:not([open])")) return false;
      const skipped = el.tabIndex < 0 || (el.tagName === "A" && !el.hasAttribute("href"));
      return skipped;
    })
    .map((el) => el.outerHTML.slice(0, 120))`);
}

describe("every page: axe-core and the keyboard", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    stack = await startStack();
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, {
      who: "admin",
      viewport: { width: 1280, height: 900 },
    });
    // Something on every page: an event with a session, published, with one registrant.
    const post = (url: string, data?: unknown) => apiPost(page, url, data);
    const start = new Date(Date.now() + 7 * 86400_000);
    const event = await post("/api/v1/events", {
      title: "Accessible day",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 8 * 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "hybrid",
    });
    await post(`/api/v1/events/${event.id}/sessions`, {
      title: "Keynote",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
    });
    await post(`/api/v1/events/${event.id}/publish`);
    await post(`/api/v1/public/events/${event.slug}/registrations`, {
      firstName: "Ada",
      lastName: "Access",
      email: "ada.access@example.com",
    });
    ids.eventId = event.id;
    ids.slug = event.slug;
    ids.pageToken = stack.notices.last("registered").pageToken ?? "";
    assert.ok((await apiGet(page, "/api/v1/me")).user);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const adminPages: [string, () => string, string][] = [
    ["events", () => "/events", "Events"],
    ["event-new", () => "/events/new", "Create an event"],
    ["event-detail", () => `/events/${ids.eventId}`, "Accessible day"],
    ["event-edit", () => `/events/${ids.eventId}/edit`, "Edit event"],
    ["registrations", () => `/events/${ids.eventId}/registrations`, "Accessible day"],
    ["dashboard", () => `/events/${ids.eventId}/dashboard`, "Accessible day"],
    ["webinar-settings", () => "/settings/webinars", "Webinar settings"],
    ["outbox", () => "/outbox", "Outbox"],
    ["members", () => "/members", "Members"],
    ["api-tokens", () => "/api-tokens", "API tokens"],
    ["audit-log", () => "/audit", "Audit log"],
    ["privacy", () => "/privacy", "Privacy"],
    ["webhooks", () => "/webhooks", "Outgoing webhooks"],
    ["checkin-desk", () => `/check-in/${ids.eventId}`, "Check-in desk"],
  ];
  for (const [name, path, heading] of adminPages) {
    test(`${name}: no serious or critical axe violation; every control reachable by keyboard`, async () => {
      await page.goto(`${stack.baseUrl}${path()}`);
      await page.getByRole("heading", { level: 1 }).filter({ hasText: heading }).first().waitFor();
      assert.deepEqual(await accessibilityProblems(page, name), []);
      assert.deepEqual(await unreachableControls(page), []);
      assert.deepEqual(consoleWatch.take(), [], "no console or page errors");
    });
  }

  const publicPages: [string, () => string][] = [
    ["sign-in", () => "/signin"],
    ["public-registration", () => `/e/${ids.slug}`],
    ["public-confirmation", () => `/r/${encodeURIComponent(ids.pageToken)}`],
  ];
  for (const [name, path] of publicPages) {
    test(`${name} (signed out): no serious or critical axe violation; every control reachable`, async () => {
      const visitor = await browser.newContext({ locale: "en-GB" });
      const p = await visitor.newPage();
      await consoleWatch.watch(p, name);
      await p.goto(`${stack.baseUrl}${path()}`);
      await p.getByRole("heading", { level: 1 }).first().waitFor();
      assert.deepEqual(await accessibilityProblems(p, name), []);
      assert.deepEqual(await unreachableControls(p), []);
      assert.deepEqual(consoleWatch.take(), [], "no console or page errors");
      await visitor.close();
    });
  }
});
