import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { accessibilityProblems, ConsoleWatch, shot, signedInPage, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The first-run checklist in Chromium, with the demo simulator flag on (as `npm start -- --demo`
 * sets it): after the one-time sign-in, four steps, each done through the app or the public
 * API, the demo account offered in one click; the list is gone once all are done. A viewer
 * never sees it. axe-core on the checklist.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let owner: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("first-run checklist in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    stack = await startStack({ env: { AUDITORIUM_DEMO: "1" } });
    browser = await launchChromium();
    owner = await signedInPage(stack, browser, consoleWatch);
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const step = (key: string) => owner.getByTestId(`first-run-${key}`);
  const done = async (key: string) => (await step(key).getAttribute("data-done")) === "true";

  test("four steps after the one-time sign-in; the demo account in one click; gone once done", async () => {
    const list = owner.getByTestId("first-run");
    await list.getByRole("heading", { name: "Getting started" }).waitFor();
    await list.getByText("4 of 4 steps left.", { exact: false }).waitFor();
    // The demo account needs the terms first (the API refuses a configuration without them).
    assert.equal(await list.getByRole("button").count(), 0);
    assert.deepEqual(await accessibilityProblems(owner, "first-run"), []);
    await shot(owner, "first-run");

    await owner.getByLabel("New password (at least 12 characters)").fill("a long first password");
    await owner.getByRole("button", { name: "Save password" }).click();
    await until("the password step done", () => done("password"));

    await step("terms").getByRole("link", { name: "Read and accept the terms" }).click();
    await owner.getByRole("button", { name: /Accept terms version/ }).click();
    await owner.getByText(/Accepted version/).waitFor();
    await owner.getByRole("link", { name: "Events", exact: true }).click();
    await until("the terms step done", () => done("terms"));

    const demo = step("provider").getByRole("button", {
      name: "Connect the demo simulator's ON24 account 10001",
    });
    await demo.click();
    await until("the provider step done", () => done("provider"));
    const configs = await (await owner.request.get(`${stack.baseUrl}/api/v1/webinar-configurations`)).json();
    assert.deepEqual(
      configs.data.map((c: { provider: string; name: string }) => [c.provider, c.name]),
      [["on24", "ON24 (demo simulator)"]],
    );
    assert.match(await text(owner.getByTestId("first-run")), /1 of 4 steps left/);

    await step("event").getByRole("link", { name: "Create the first event" }).click();
    await owner.getByLabel("Title", { exact: true }).fill("First event");
    await owner.getByLabel("Starts (in the event's time zone)").fill("2031-03-01T09:00");
    await owner.getByLabel("Ends (in the event's time zone)").fill("2031-03-01T11:00");
    await owner.getByRole("button", { name: "Create event" }).click();
    await owner.getByRole("heading", { name: "First event" }).waitFor();
    await until("the checklist gone", async () => (await owner.getByTestId("first-run").count()) === 0);
    await owner.reload();
    await owner.getByRole("heading", { name: "First event" }).waitFor();
    assert.equal(await owner.getByTestId("first-run").count(), 0, "done is read from the API: it stays gone");
  });

  test("a viewer sees no checklist; the demo account is not theirs to read", async () => {
    const invited = await owner.request.post(`${stack.baseUrl}/api/v1/members`, {
      data: { email: "vera@example.com", name: "Vera Viewer", role: "viewer", language: "en" },
    });
    assert.equal(invited.status(), 202, await invited.text());
    const mail = await until("the invitation", () => stack.lastMailTo("vera@example.com").catch(() => null));
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(mail.text_body)?.[1];
    assert.ok(link);
    const context = await browser.newContext({ locale: "en-GB" });
    const v = await context.newPage();
    await consoleWatch.watch(v, "viewer");
    await v.goto(link);
    await v.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    assert.equal(await v.getByTestId("first-run").count(), 0);
    const demo = await v.request.get(`${stack.baseUrl}/api/v1/demo/webinar-account`);
    assert.equal(demo.status(), 403);
    await context.close();
  });
});
