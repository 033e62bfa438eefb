import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ON24_ACCOUNT } from "../webinars/fixtures.ts";
import { apiGet, ConsoleWatch, shot, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The web app end to end in real Chromium, through the real server (embedded database, sync
 * worker, ON24 simulator over HTTP): sign-in, a webinar event, a public registration that
 * reaches ON24, the webinar run, the dashboard, switch-off, languages, roles.
 */
const started = Date.now();
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const consoleWatch = new ConsoleWatch();
const watch = (p: Page, who: string) => consoleWatch.watch(p, who);
const state = { eventId: "", slug: "", confirmationUrl: "", configId: "" };
const PASSWORD = "correct horse battery staple";
const expected401 = consoleWatch.expected401;
expected401.add("/api/v1/me");

describe("web app in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const t0 = Date.now();
    ensureWebBuilt();
    const t1 = Date.now();
    stack = await startStack();
    const t2 = Date.now();
    browser = await launchChromium();
    process.stdout.write(
      `# web build check ${t1 - t0} ms, server start ${t2 - t1} ms, Chromium launch ${Date.now() - t2} ms\n`,
    );
    admin = await browser.newContext({ locale: "en-GB", timezoneId: "America/New_York" });
    admin.setDefaultTimeout(15_000);
    page = await admin.newPage();
    await watch(page, "admin");
  });
  afterEach(() => {
    const found = consoleWatch.take();
    assert.deepEqual(found, [], "no console or page errors");
  });
  after(async () => {
    // Every page ran under the web app's Content-Security-Policy without breaking it.
    assert.deepEqual(consoleWatch.cspViolations, [], "CSP violations");
    await browser?.close();
    await stack?.stop();
    process.stdout.write(`# browser tests ran in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  test("signs in with the first-start link, sets a password, signs out and in with it", async () => {
    const first = await page.goto(stack.signInLink);
    await page.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/events");
    // The document arrived with the security headers (test/api/security-headers.test.ts has
    // the details); the app running under them with no violation is what this suite shows.
    // goto answers with the last response of the redirect chain: the app's document.
    const headers = first?.headers() ?? {};
    assert.match(headers["content-security-policy"] ?? "", /frame-ancestors 'none'/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["referrer-policy"], "no-referrer");
    await page.getByLabel("New password (at least 12 characters)").fill(PASSWORD);
    await page.getByRole("button", { name: "Save password" }).click();
    await page.getByRole("heading", { name: "Set a password" }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Email").fill(stack.ownerEmail);
    await page.getByLabel("Password").fill("wrong password!");
    expected401.add("/api/v1/auth/login");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expected401.delete("/api/v1/auth/login");
    // The second attempt by keyboard alone: Tab moves email → password → button, Enter submits.
    await page.getByLabel("Email").focus();
    await page.keyboard.press("Tab");
    assert.equal(await page.locator(":focus").getAttribute("type"), "password");
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Tab");
    assert.equal(await text(page.locator(":focus")), "Sign in");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    await shot(page, "events");
  });

  test("an admin accepts the terms, connects ON24 and checks it: secrets never come back", async () => {
    await page.getByRole("link", { name: "Webinar settings" }).click();
    const terms = await apiGet(page, "/api/v1/webinar/terms");
    const squash = (text: string) => text.replace(/\s+/g, " ").trim();
    assert.equal(squash(await text(page.getByTestId("terms-text"))), squash(terms.text));
    await page.getByRole("button", { name: `Accept terms version ${terms.version}` }).click();
    await page.getByText(`Accepted version ${terms.version}`).waitFor();
    await page.getByLabel("Name").fill("ON24 main");
    await page.getByLabel("Client ID").fill(ON24_ACCOUNT.clientId);
    await page.getByLabel("Access token key").fill(ON24_ACCOUNT.accessTokenKey);
    await page.getByLabel("Access token secret").fill(ON24_ACCOUNT.accessTokenSecret);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    const card = page.getByTestId("configuration");
    await card.waitFor();
    await card.getByRole("button", { name: "Check" }).click();
    await card.getByTestId("health").getByText("Healthy").waitFor();
    const html = await page.content();
    assert.ok(!html.includes(ON24_ACCOUNT.accessTokenSecret) && !html.includes(ON24_ACCOUNT.accessTokenKey));
    assert.match(
      await text(card.getByTestId("credential-states")),
      /Access token secret: set on .+, by Owner/,
    );
    state.configId = (await apiGet(page, "/api/v1/webinar-configurations")).data[0].id;
    await shot(page, "webinar-settings");
  });

  test("creates a webinar event in its own time zone and publishes it after confirming", async () => {
    await page.getByRole("link", { name: "Events" }).click();
    await page.getByRole("link", { name: "New event" }).click();
    await page.getByLabel("Title", { exact: true }).fill("Launch webinar");
    await page.getByRole("radio", { name: "Webinar" }).check();
    await page.getByLabel("Webinar account").selectOption({ label: "ON24 main (on24)" });
    // The account's provider lists its webinar types; the choice is sent with the event.
    const types = (await apiGet(page, "/api/v1/webinar-providers")).data.find((k: any) => k.kind === "on24")
      .webinarTypes as { id: string; label: string }[];
    const chosenType = types.at(-1);
    if (chosenType) await page.getByLabel("Webinar type").selectOption({ label: chosenType.label });
    await page.getByLabel("Time zone", { exact: true }).selectOption("Europe/Oslo");
    const day = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
    await page.getByLabel("Starts (in the event's time zone)").fill(`${day}T10:00`);
    await page.getByLabel("Ends (in the event's time zone)").fill(`${day}T11:30`);
    await page.getByText("In your time zone (America/New_York)").first().waitFor();
    await page.getByLabel("Consent text shown on the registration page (optional)").fill("You may email me.");
    await page.getByLabel("Ask for company").selectOption("optional");
    await page.getByRole("button", { name: "Create event" }).click();
    await page.getByRole("heading", { name: "Launch webinar" }).waitFor();
    state.eventId = new URL(page.url()).pathname.split("/")[2] ?? "";
    const event = await apiGet(page, `/api/v1/events/${state.eventId}`);
    assert.equal(event.format, "webinar");
    assert.equal(event.timeZone, "Europe/Oslo");
    assert.equal(event.webinarType, chosenType?.id ?? null);
    assert.match(event.startsAtLocal, new RegExp(`^${day}T10:00:00\\+0[12]:00$`));
    // Shown in the event's zone and the viewer's (New York is 6 hours behind Oslo).
    assert.match(await text(page.getByTestId("event-time")), /10:00/);
    await page.getByText("04:00").first().waitFor();
    await page.getByRole("button", { name: "Publish" }).click();
    await page.getByRole("dialog").getByText('Publish "Launch webinar"?').waitFor();
    await page.getByRole("dialog").getByRole("button", { name: "Publish" }).click();
    await page.getByTestId("public-link").waitFor();
    state.slug = (await apiGet(page, `/api/v1/events/${state.eventId}`)).slug;
    await shot(page, "event");
  });

  test("an attendee registers on the public page and gets the join link and calendar file", async () => {
    const visitor = await browser.newContext({ locale: "en-GB" });
    const p = await visitor.newPage();
    await watch(p, "visitor");
    await p.goto(`${stack.baseUrl}/e/${state.slug}`);
    await p.getByRole("heading", { name: "Launch webinar" }).waitFor();
    assert.equal(await p.getByLabel("Job title").count(), 0, "a field the event does not ask for is absent");
    await p.getByRole("button", { name: "Register" }).click();
    const firstName = p.getByLabel("First name");
    assert.equal(await firstName.getAttribute("aria-invalid"), "true");
    const describedBy = (await firstName.getAttribute("aria-describedby")) ?? "";
    assert.equal(await text(p.locator(`[id="${describedBy}"]`)), "⚠ Please fill in this field.".slice(2));
    await firstName.fill("Ada");
    await p.getByLabel("Last name").fill("Lovelace");
    await p.getByLabel("Email").fill("ada@example.com");
    await p.getByLabel("Company (optional)").fill("Analytical Engines");
    await p.getByRole("checkbox", { name: "I agree" }).check();
    await shot(p, "public-registration");
    await p.getByRole("button", { name: "Register" }).click();
    // The page link goes to the address given, never into the page: the visitor opens it
    // from the message (the recorded notice stands for it).
    await p.getByRole("heading", { name: "Check your email" }).waitFor();
    const { pageToken } = stack.notices.last("registered");
    await p.goto(`${stack.baseUrl}/r/${encodeURIComponent(pageToken ?? "")}`);
    await p.getByRole("heading", { name: "You are registered" }).waitFor();
    state.confirmationUrl = p.url();
    // The join link appears once the registration has reached ON24 (the page polls).
    const join = await p.getByTestId("join-link").textContent({ timeout: 30_000 });
    assert.match(join ?? "", /^https?:\/\//);
    const ics = await p.request.get(
      new URL((await p.getByTestId("ics-link").getAttribute("href")) ?? "", p.url()).href,
    );
    assert.equal(ics.status(), 200);
    assert.match(ics.headers()["content-type"] ?? "", /^text\/calendar/);
    const body = (await ics.text()).replace(/\r\n[ \t]/g, "");
    assert.match(body, /BEGIN:VEVENT/);
    assert.match(body, /SUMMARY:Launch webinar/);
    await shot(p, "public-confirmation");
    await visitor.close();
  });

  test("the registrations table shows the sync state turn synced, with paging, filters and sorting", async () => {
    // More people through the public API, so the table has something to sort and filter.
    for (const name of ["Grace Hopper", "Alan Turing", "Edsger Dijkstra"]) {
      const [first, last] = name.split(" ");
      const res = await page.request.post(
        `${stack.baseUrl}/api/v1/public/events/${state.slug}/registrations`,
        {
          data: {
            firstName: first,
            lastName: last,
            email: `${last?.toLowerCase()}@example.com`,
            consent: true,
          },
        },
      );
      assert.equal(res.status(), 202, await res.text());
    }
    await page.goto(`${stack.baseUrl}/events/${state.eventId}/registrations`);
    await until("all four synced in the table", async () => {
      await page.reload();
      await page.getByTestId("registration-row").first().waitFor();
      const states = await page.getByTestId("sync-state").allInnerTexts();
      return states.length === 4 && states.every((s) => /Synced/.test(s));
    });
    assert.match(await text(page.getByTestId("regs-total")), /4 registrations match/);
    await page.getByLabel("Sort by").selectOption("lastName");
    await page.getByText("Dijkstra").first().waitFor();
    await until("sorted by last name", async () => {
      const names = await page.locator("[data-testid=registration-row] td:first-child").allInnerTexts();
      return names.join("|") === "Edsger Dijkstra|Grace Hopper|Ada Lovelace|Alan Turing";
    });
    await page.getByLabel("Search name or email").fill("hopper");
    await until(
      "search narrows to one",
      async () => (await page.getByTestId("registration-row").count()) === 1,
    );
    await page.getByLabel("Search name or email").fill("");
    await shot(page, "registrations");
  });

  test("a CSV import shows its progress and offers the refused rows as a report", async () => {
    const csv =
      "email,first_name,last_name\nlin@example.com,Lin,Import\nnot-an-email,Bad,Row\nkai@example.com,Kai,Import\n";
    await page
      .getByLabel(/CSV file/)
      .setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.getByText("Import finished.").waitFor();
    const progress = page.getByTestId("import-progress");
    assert.equal(await progress.getAttribute("value"), await progress.getAttribute("max"));
    assert.match(
      await text(page.getByText(/rows processed/)),
      /3 of 3 rows processed: 2 imported, 1 refused/,
    );
    const report = await page.request.get(
      new URL(
        (await page.getByRole("link", { name: "Download the error report" }).getAttribute("href")) ?? "",
        page.url(),
      ).href,
    );
    assert.equal(report.status(), 200);
    assert.match(await report.text(), /^row,field,message\r?\n3,email,/);
    await until("the table lists the imported people", async () => {
      const total = await text(page.getByTestId("regs-total"));
      return /6 registrations match/.test(total);
    });
    await shot(page, "import");
  });

  test("after the simulated webinar the dashboard shows the provider's numbers", async () => {
    const webinar = (await apiGet(page, `/api/v1/events/${state.eventId}/webinars`)).data[0];
    const run = await fetch(`${stack.sim.url}/_sim/events/${webinar.providerWebinarId}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ seed: 5, attendanceRate: 1, walkIns: 1 }),
    });
    assert.equal(run.status, 200, await run.text());
    await page.goto(`${stack.baseUrl}/events/${state.eventId}/dashboard`);
    const stats = await until("attendance stored", async () => {
      await page.getByRole("button", { name: "Refresh now" }).click();
      const w = (await apiGet(page, `/api/v1/events/${state.eventId}/webinars`)).data[0];
      return w.lastMetricsAt && w.stats.attendedLive + w.stats.watchedOnDemand > 0 ? w.stats : null;
    });
    const dashboard = await apiGet(page, `/api/v1/events/${state.eventId}/webinar-dashboard`);
    // The page shows the dashboard endpoint's numbers, which agree with the webinar's own stats.
    assert.equal(dashboard.funnel.registered, stats.registered);
    assert.equal(dashboard.funnel.attendedLive, stats.attendedLive);
    await page.getByRole("button", { name: "Refresh now" }).click();
    const expected = [
      `Registered${dashboard.funnel.registered}`,
      `Attended live${dashboard.funnel.attendedLive}`,
      `Watched on demand${dashboard.funnel.watchedOnDemand}`,
      `No-show${dashboard.funnel.noShow}`,
    ];
    await until("the funnel on the page", async () => {
      const shown = await page.getByTestId("funnel").locator("div").allTextContents();
      return shown.join("|") === expected.join("|");
    });
    assert.ok(dashboard.funnel.registered >= 5, "four registrations and a walk-in");
    assert.notEqual(await text(page.getByTestId("freshness")), "");
    assert.doesNotMatch(await text(page.getByTestId("freshness")), /no attendance data yet/);
    // Charts carry text alternatives with the values.
    const alt = await page.locator("figure [role=img]").first().getAttribute("aria-label");
    assert.match(alt ?? "", new RegExp(`Registered: ${dashboard.funnel.registered}`));
    const top = await page.getByTestId("top-attendees").locator("tbody tr").count();
    assert.equal(top, dashboard.topAttendees.length);
    await shot(page, "dashboard");
  });

  test("the attendee cancels from the confirmation page after confirming", async () => {
    const visitor = await browser.newContext({ locale: "en-GB" });
    const p = await visitor.newPage();
    await watch(p, "visitor");
    await p.goto(state.confirmationUrl);
    await p.getByRole("button", { name: "Cancel my registration" }).click();
    // Escape closes the dialog without cancelling; the second time the attendee confirms.
    await p.keyboard.press("Escape");
    await p.getByRole("dialog").waitFor({ state: "hidden" });
    await p.getByRole("button", { name: "Cancel my registration" }).click();
    await p.getByRole("dialog").getByRole("button", { name: "Cancel my registration" }).click();
    await p.getByRole("heading", { name: "Your registration is cancelled." }).waitFor();
    await visitor.close();
  });

  test("removing the credentials states what stops, and stops it", async () => {
    await page.goto(`${stack.baseUrl}/settings/webinars`);
    await page.getByRole("button", { name: "Remove credentials" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/stops all traffic to ON24 for this account/).waitFor();
    await dialog.getByRole("button", { name: "Remove credentials" }).click();
    await page.getByText("Credentials removed: nothing is sent to the provider for this account.").waitFor();
    const config = await apiGet(page, `/api/v1/webinar-configurations/${state.configId}`);
    assert.ok(Object.values(config.credentials).every((c) => !(c as { set: boolean }).set));
    assert.match(await text(page.getByTestId("credential-states")), /Access token secret: not set/);
    await shot(page, "switched-off");
  });

  test("a viewer sees no edit buttons; the organization switcher changes what is listed", async () => {
    const member = await page.request.post(`${stack.baseUrl}/api/v1/members`, {
      data: { email: "viewer@example.com", name: "Vera Viewer", role: "viewer" },
    });
    assert.equal(member.status(), 202, await member.text());
    // The link reaches the invitee only by email (kept here, as no SMTP server is configured).
    const invitation = await stack.lastMailTo("viewer@example.com");
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(invitation.text_body)?.[1];
    assert.ok(link, "the invitation email carries the link");
    const viewer = await browser.newContext({ locale: "en-GB" });
    const v = await viewer.newPage();
    await watch(v, "viewer");
    await v.goto(link);
    await v.getByRole("link", { name: "Launch webinar" }).click();
    await v.getByRole("heading", { name: "Launch webinar" }).waitFor();
    assert.equal(await v.getByRole("button", { name: /Publish|Unpublish|Cancel event/ }).count(), 0);
    assert.equal(await v.getByRole("link", { name: "Edit" }).count(), 0);
    assert.equal(await v.getByRole("link", { name: "Webinar settings" }).count(), 0);
    await viewer.close();

    const other = await page.request.post(`${stack.baseUrl}/api/v1/organizations`, {
      data: { name: "Second org" },
    });
    assert.equal(other.status(), 201);
    await page.goto(`${stack.baseUrl}/events`);
    await page.getByRole("link", { name: "Launch webinar" }).waitFor();
    await page.getByTestId("org-switcher").selectOption({ label: "Second org" });
    await page.getByText("No events match.").waitFor();
    assert.equal((await apiGet(page, "/api/v1/me")).organizationId, (await other.json()).id);
  });

  test("switches to Norwegian Bokmål, remembered across reloads, with Norwegian dates", async () => {
    await page.goto(`${stack.baseUrl}/events`);
    await page.getByTestId("language").selectOption("nb");
    await page.getByRole("heading", { name: "Arrangementer", level: 1 }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Arrangementer", level: 1 }).waitFor();
    assert.equal(await page.locator("html").getAttribute("lang"), "nb");
    await page.goto(state.confirmationUrl);
    await page.getByRole("heading", { name: "Påmeldingen din er avbestilt." }).waitFor();
    // Norwegian month abbreviations and a 24-hour clock, from Intl.
    assert.match(await text(page.locator("main p").first()), /\d{1,2}\. \p{L}+\.? \d{4}/u);
    await shot(page, "norwegian");
    await page.getByTestId("language").selectOption("en");
  });
});
