import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { apiGet, apiPost, ConsoleWatch, shot, signedInPage, tabTo, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Each admin page's main action done with the keyboard alone: focus moves only by Tab and
 * Shift+Tab (tabTo), controls are worked with Enter, Space, arrows, Escape and typing; no
 * click, no fill. The accessibility walk shows every control is reachable; this shows the
 * work gets done that way. Results are read back through the API.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
let eventId = "";
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

const type = (value: string) => page.keyboard.type(value);
const press = (key: string) => page.keyboard.press(key);

/**
 * Types a date and time into the focused date-time field, part by part as a keyboard user
 * does. Its parts follow the browser's own language, whatever the page's locale (headless
 * Chromium lays them out US style: month first, a 12-hour clock): the day equals the month
 * so either order reads the same, the year takes up to six digits so Tab moves on, and "A"
 * sets the morning where there is an AM/PM part (a 24-hour field ignores it).
 */
async function typeDateTime(dayAndMonth: string, year: string, time: string) {
  await type(`${dayAndMonth}${dayAndMonth}${year}`);
  await press("Tab");
  await type(Number(time.slice(0, 2)) < 12 ? `${time}A` : time);
}

/** To an admin page by its link in the main navigation, as a keyboard user goes. */
async function openFromNav(link: string, heading = link) {
  await tabTo(page, link, { role: "link" });
  await press("Enter");
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

const post = (url: string, data?: unknown) => apiPost(page, url, data);

describe("every page's main action by keyboard alone", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    // The webhook receiver named below is on loopback, which only the operator may allow.
    stack = await startStack({ env: { AUDITORIUM_ALLOW_PRIVATE_HOSTS: "127.0.0.1" } });
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, { clipboard: true });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test("events: create a hybrid event in its own time zone", async () => {
    await tabTo(page, "New event", { role: "link" });
    await press("Enter");
    await page.getByRole("heading", { name: "Create an event", level: 1 }).waitFor();
    await tabTo(page, "Title");
    await type("Keyboard summit");
    // Tab enters the radio group at the checked one; the arrows choose within it.
    await tabTo(page, "On-site", { role: "radio" });
    await press("ArrowRight");
    await press("ArrowRight");
    await tabTo(page, "Time zone");
    await type("Europe/Oslo");
    await tabTo(page, "Starts (in the event's time zone)");
    await typeDateTime("05", "2031", "0900");
    await tabTo(page, "Ends (in the event's time zone)");
    await typeDateTime("05", "2031", "1700");
    await tabTo(page, "Create event", { role: "button" });
    await press("Enter");
    await page.getByRole("heading", { name: "Keyboard summit", level: 1 }).waitFor();
    const events = await apiGet(page, "/api/v1/events?q=Keyboard");
    const event = events.data[0];
    assert.equal(event?.title, "Keyboard summit");
    assert.equal(event.format, "hybrid");
    assert.equal(event.timeZone, "Europe/Oslo");
    assert.match(event.startsAtLocal, /^2031-05-05T09:00/);
    assert.match(event.endsAtLocal, /^2031-05-05T17:00/);
    eventId = event.id;
    await shot(page, "keyboard-event-created");
  });

  test("members: invite by email and change the role of the member who accepted", async () => {
    await openFromNav("Members");
    await tabTo(page, "Email");
    await type("kim@example.com");
    await tabTo(page, "Name");
    await type("Kim Keys");
    await tabTo(page, "Role", { role: "combobox" });
    await type("viewer");
    await tabTo(page, "Send invitation", { role: "button" });
    await press("Enter");
    await page.getByText("An invitation was sent to kim@example.com.").waitFor();
    const invitations = await apiGet(page, "/api/v1/members/invitations");
    assert.deepEqual(
      invitations.data.map((i: { email: string; role: string }) => [i.email, i.role]),
      [["kim@example.com", "viewer"]],
    );

    // Kim accepts (in a browser of her own); then her role is changed from the list.
    const mail = await until("the invitation mail", () =>
      stack.lastMailTo("kim@example.com").catch(() => null),
    );
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(mail.text_body)?.[1];
    assert.ok(link);
    const kim = await browser.newContext({ locale: "en-GB" });
    const kimPage = await kim.newPage();
    await consoleWatch.watch(kimPage, "kim");
    await kimPage.goto(link);
    await kimPage.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    await kim.close();

    await page.reload();
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    await until("Kim listed", async () => (await page.getByTestId("member-row").count()) === 2);
    await tabTo(page, "Role of Kim Keys", { role: "combobox" });
    // Typing chooses the option, as in any select; the change is saved at once.
    await type("marketer");
    await page.getByText("Kim Keys's role was changed.").waitFor();
    const members = await apiGet(page, "/api/v1/members");
    assert.equal(
      members.data.find((m: { email: string }) => m.email === "kim@example.com")?.role,
      "marketer",
    );
    await shot(page, "keyboard-members");
  });

  test("API tokens: create one, copy it with its button, revoke one through the dialog", async () => {
    await openFromNav("API tokens");
    await tabTo(page, "Name");
    await type("CRM sync");
    await tabTo(page, "Role", { role: "combobox" });
    await type("viewer");
    await tabTo(page, "Create token", { role: "button" });
    await press("Enter");
    const token = await text(page.getByTestId("secret-once-value"));
    assert.match(token, /\S{20,}/);
    // The secret shows above the form: the focus goes to its Copy button, no walking back.
    await tabTo(page, "Copy", { role: "button", max: 0 });
    await press("Space");
    await page.getByRole("button", { name: "Copied" }).waitFor();
    // As text: this runs in the page, where the DOM types of this Node project do not apply.
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), token);
    const created = (await apiGet(page, "/api/v1/api-tokens")).data;
    assert.deepEqual(
      created.map((t: { name: string; role: string }) => [t.name, t.role]),
      [["CRM sync", "viewer"]],
    );
    await tabTo(page, "Close", { role: "button" });
    await press("Enter");

    await tabTo(page, "Revoke CRM sync", { role: "button" });
    await press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    // The dialog holds the focus: Tab finds its confirm button without leaving it.
    await tabTo(page, "Revoke", { role: "button" });
    await press("Enter");
    await page
      .getByTestId("token-row")
      .getByText(/Revoked/)
      .waitFor();
    const after = (await apiGet(page, "/api/v1/api-tokens")).data;
    assert.ok(after[0]?.revokedAt, "revoked through the API");
    const asToken = await page.request.get(`${stack.baseUrl}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(asToken.status(), 401);
    await shot(page, "keyboard-api-tokens");
  });

  test("audit log: filter by action and open an entry's details", async () => {
    await openFromNav("Audit log");
    await until("entries", async () => (await page.getByTestId("audit-row").count()) > 1);
    await tabTo(page, "Action", { role: "textbox" });
    await type("api_token.revoked");
    await press("Enter");
    await until("one revocation", async () => (await page.getByTestId("audit-row").count()) === 1);
    assert.match(await text(page.getByTestId("audit-row")), /api_token\.revoked/);
    // Each entry's button says whose details it opens: a list of "Details" alone tells nothing.
    await tabTo(page, /^Details of api_token\.revoked, /, { role: "button" });
    await press("Enter");
    assert.match(await text(page.getByTestId("audit-details")), /Request id/);
    assert.equal(
      await page.getByRole("button", { name: /^Details of/ }).getAttribute("aria-expanded"),
      "true",
    );
    await shot(page, "keyboard-audit-log");
  });

  test("privacy: find a person, export them, cancel and then confirm an erasure", async () => {
    await post(`/api/v1/events/${eventId}/registrations`, {
      contact: { firstName: "Erik", lastName: "Erased", email: "erik@example.com" },
    });
    await openFromNav("Privacy");
    await tabTo(page, "Find a person (name or email)");
    await type("erik@");
    await press("Enter");
    await page.getByTestId("person-row").waitFor();
    await tabTo(page, "Export Erik Erased as JSON", { role: "link" });
    const download = page.waitForEvent("download");
    await press("Enter");
    const file = await (await download).path();
    assert.match(readFileSync(file, "utf8"), /erik@example\.com/);

    await tabTo(page, "Erase Erik Erased", { role: "button" });
    await press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/erik@example\.com/).waitFor();
    // Escape cancels: nothing is erased, and the focus is back on the button that asked.
    await press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal((await apiGet(page, "/api/v1/erasures")).data.length, 0);
    await tabTo(page, "Erase Erik Erased", { role: "button", max: 0 });
    await press("Enter");
    await dialog.getByText(/erik@example\.com/).waitFor();
    await tabTo(page, "Erase", { role: "button" });
    await press("Enter");
    await page.getByTestId("erasure-row").waitFor();
    const erasures = (await apiGet(page, "/api/v1/erasures")).data;
    assert.equal(erasures.length, 1);
    assert.equal(erasures[0].contactsErased, 1);
    await shot(page, "keyboard-privacy");
  });

  test("check-in desk: choose the event, search and check a person in, register a walk-in", async () => {
    await post(`/api/v1/events/${eventId}/registrations`, {
      contact: { firstName: "Ola", lastName: "Hansen", email: "ola@example.com" },
    });
    await openFromNav("Check-in", "Check-in desk");
    await tabTo(page, "Event", { role: "combobox" });
    await type("Keyboard summit");
    const counts = page.getByTestId("desk-counts");
    await counts.getByText("0 checked in of 1 registered").waitFor();
    await tabTo(page, "Name or email");
    await type("ola@");
    await press("Enter");
    await page.getByTestId("desk-row").waitFor();
    await tabTo(page, "Check in Ola Hansen", { role: "button" });
    await press("Enter");
    await page.getByTestId("desk-notice").getByText("Ola Hansen is checked in.").waitFor();
    await counts.getByText("1 checked in of 1 registered").waitFor();

    await tabTo(page, "First name");
    await type("Walk");
    await press("Tab");
    await type("In");
    await press("Tab");
    await type("walk.in@example.com");
    await press("Enter");
    await page.getByTestId("desk-notice").getByText("Walk In is registered and checked in.").waitFor();
    await counts.getByText("2 checked in of 2 registered").waitFor();
    const checkIns = await apiGet(page, `/api/v1/events/${eventId}/check-ins`);
    assert.deepEqual(
      checkIns.data.map((c: { contact: { firstName: string } }) => c.contact.firstName).sort(),
      ["Ola", "Walk"],
    );
    await shot(page, "keyboard-checkin-desk");
  });

  test("webhooks: add an endpoint and close its secret", async () => {
    await openFromNav("Webhooks", "Outgoing webhooks");
    await tabTo(page, "URL (https)");
    await type("http://127.0.0.1:9/hooks");
    await tabTo(page, "Description");
    await type("CRM");
    await tabTo(page, "Add endpoint", { role: "button" });
    await press("Enter");
    assert.match(await text(page.getByTestId("secret-once-value")), /^whsec_/);
    await tabTo(page, "Close", { role: "button" });
    await press("Enter");
    const endpoints = (await apiGet(page, "/api/v1/webhook-endpoints")).data;
    assert.deepEqual(
      endpoints.map((e: { url: string; description: string }) => [e.url, e.description]),
      [["http://127.0.0.1:9/hooks", "CRM"]],
    );
    await shot(page, "keyboard-webhooks");
  });

  test("tabTo, the walk the tests above rely on, fails on a control taken out of the tab order, naming the controls it passed", async () => {
    const p = await browser.newPage();
    try {
      await p.setContent(
        `<button>First</button><input aria-label="Typed"><button tabindex="-1">Hidden</button>`,
      );
      await tabTo(p, "Typed");
      await assert.rejects(tabTo(p, "Hidden"), /Tab never reached Hidden; it went through: .*button "First"/);
    } finally {
      await p.close();
    }
  });
});
