import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { ON24_ACCOUNT } from "../webinars/fixtures.ts";
import { apiGet, apiPost, ConsoleWatch, shot, signedInPage, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Reconciliation from the admin app in Chromium: people register on ON24's own page (the
 * simulator's path), the marketer presses Reconcile on the event's webinar panel, and the
 * panel shows the drift while the registrations list shows them with source "provider".
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("reconciliation in Chromium", () => {
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

  test("Reconcile on the webinar panel brings back people registered at ON24 and shows the drift", async () => {
    const terms = await apiGet(page, "/api/v1/webinar/terms");
    await apiPost(page, "/api/v1/webinar/terms/accept", { version: terms.version });
    const config = await apiPost(page, "/api/v1/webinar-configurations", {
      provider: "on24",
      name: "ON24",
      settings: { region: "NA" },
      credentials: ON24_ACCOUNT,
    });
    const start = new Date(Date.now() + 3600_000);
    const event = await apiPost(page, "/api/v1/events", {
      title: "Reconciled webinar",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "webinar",
      webinarConfigurationId: config.id,
    });
    const webinar = await until("webinar at ON24", async () => {
      const w = (await apiGet(page, `/api/v1/events/${event.id}/webinars`)).data[0];
      return w?.state === "provisioned" ? w : null;
    });
    for (const [email, firstName] of [
      ["lin@example.org", "Lin"],
      ["sam@example.org", "Sam"],
    ]) {
      const res = await fetch(
        `${stack.sim.url}/_sim/events/${webinar.providerWebinarId}/self-registrations`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, firstName, lastName: "Onpage" }),
        },
      );
      assert.equal(res.status, 201, await res.text());
    }

    await page.goto(`${stack.baseUrl}/events/${event.id}`);
    const panel = page.getByTestId("webinar-item");
    await panel.getByTestId("reconcile-summary").waitFor();
    assert.match(await text(panel.getByTestId("reconcile-summary")), /Not reconciled yet/);
    await panel.getByRole("button", { name: "Reconcile with the provider" }).click();
    const summary = await until("the drift on the panel", async () => {
      const s = await text(panel.getByTestId("reconcile-summary"));
      return /done/.test(s) ? s : null;
    });
    assert.match(summary, /At the provider 2 registered, 0 cancelled/);
    assert.match(summary, /Theirs missing here: 2 \(added 2\)/);
    assert.match(summary, /Ours missing there: 0/);
    await shot(page, "webinar-reconcile");

    // A viewer sees the drift but no button (asking for a run is a marketer's).
    const member = await page.request.post(`${stack.baseUrl}/api/v1/members`, {
      data: { email: "viewer@example.com", name: "Vera Viewer", role: "viewer" },
    });
    assert.equal(member.status(), 202, await member.text());
    const invitation = await stack.lastMailTo("viewer@example.com");
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(invitation.text_body)?.[1];
    assert.ok(link, "the invitation carries the link");
    const viewerContext = await browser.newContext({ locale: "en-GB" });
    const viewer = await viewerContext.newPage();
    consoleWatch.watch(viewer, "viewer");
    await viewer.goto(link);
    await viewer.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    await viewer.goto(`${stack.baseUrl}/events/${event.id}`);
    const viewerPanel = viewer.getByTestId("webinar-item");
    await until("the drift for a viewer", async () =>
      /Theirs missing here: 2/.test(await text(viewerPanel.getByTestId("reconcile-summary"))),
    );
    assert.equal(await viewerPanel.getByRole("button", { name: "Reconcile with the provider" }).count(), 0);
    await viewerContext.close();

    const regs = (await apiGet(page, `/api/v1/events/${event.id}/registrations`)).data as {
      source: string;
      contact: { email: string };
    }[];
    assert.deepEqual(regs.map((r) => [r.contact.email, r.source]).sort(), [
      ["lin@example.org", "provider"],
      ["sam@example.org", "provider"],
    ]);
  });
});
