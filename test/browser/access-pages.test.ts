import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ON24_ACCOUNT } from "../webinars/fixtures.ts";
import {
  accessibilityProblems,
  apiGet,
  ConsoleWatch,
  shot,
  signedInPage,
  text,
  until,
} from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The access pages in Chromium, through the public API only: members and invitations, API
 * tokens, the audit log, privacy. Each page's main path, what a lesser role does not see, and axe-core
 * on each (0 serious or critical violations); a screenshot of each under test/artifacts/.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let owner: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("access pages in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    stack = await startStack();
    browser = await launchChromium();
    owner = await signedInPage(stack, browser, consoleWatch, { clipboard: true });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Follows the invitation link that went by email to `email`, in a browser of its own. */
  async function acceptInvitation(email: string): Promise<{ context: BrowserContext; page: Page }> {
    const mail = await until(`the invitation to ${email}`, () => stack.lastMailTo(email).catch(() => null));
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(mail.text_body)?.[1];
    assert.ok(link, "the invitation email carries the link");
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    await consoleWatch.watch(page, email);
    await page.goto(link);
    await page.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    return { context, page };
  }

  test("members: invite by email, withdraw, change a role, remove; an admin sees no action on owners", async () => {
    await owner.getByRole("link", { name: "Members" }).click();
    await owner.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    const invite = async (email: string, name: string, role: string) => {
      await owner.getByLabel("Email").fill(email);
      await owner.getByLabel("Name").fill(name);
      await owner.getByLabel("Role", { exact: true }).selectOption(role);
      await owner.getByRole("button", { name: "Send invitation" }).click();
      await owner.getByText(`An invitation was sent to ${email}.`).waitFor();
    };
    await invite("ada@example.com", "Ada Admin", "admin");
    await invite("mark@example.com", "Mark Marketer", "marketer");
    await invite("vera@example.com", "Vera Viewer", "viewer");
    // Each notice shows before the list reloads (see act in web/src/pages/members.tsx).
    await until("three invitations", async () => (await owner.getByTestId("invitation-row").count()) === 3);
    assert.doesNotMatch(await owner.content(), /invitation\?token=/, "the inviter never sees the link");

    await owner.getByRole("button", { name: "Withdraw the invitation to mark@example.com" }).click();
    await owner
      .getByText("The invitation to mark@example.com was withdrawn; its link no longer works.")
      .waitFor();
    // The notice shows before the list has reloaded: wait for the list, not the notice.
    await until(
      "two invitations left",
      async () => (await owner.getByTestId("invitation-row").count()) === 2,
    );

    const ada = await acceptInvitation("ada@example.com");
    const vera = await acceptInvitation("vera@example.com");
    await owner.reload();
    await until("three members", async () => (await owner.getByTestId("member-row").count()) === 3).catch(
      async (e) => {
        await shot(owner, "debug-members");
        throw new Error(`${e.message}: ${(await owner.locator("main").textContent())?.slice(0, 600)}`);
      },
    );
    assert.equal(await owner.getByTestId("invitation-row").count(), 0);
    assert.deepEqual(await accessibilityProblems(owner, "members"), []);
    await shot(owner, "members");

    // An admin manages marketers and viewers only: nothing to press on the owner's row.
    await ada.page.getByRole("link", { name: "Members" }).click();
    await ada.page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    const ownerRow = ada.page.getByTestId("member-row").filter({ hasText: stack.ownerEmail });
    // The heading shows before the list has loaded: no buttons on a row not yet drawn proves nothing.
    await ownerRow.waitFor();
    assert.equal(await ownerRow.getByRole("button").count(), 0);
    assert.equal(await ownerRow.getByRole("combobox").count(), 0);
    const offered = await ada.page.getByLabel("Role", { exact: true }).locator("option").allTextContents();
    assert.deepEqual(offered, ["marketer", "viewer"]);
    await ada.page.getByLabel("Role of Vera Viewer").selectOption("marketer");
    await ada.page.getByText("Vera Viewer's role was changed.").waitFor();

    // A marketer sees none of the access pages.
    await vera.page.reload();
    await vera.page.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    for (const name of ["Members", "API tokens", "Audit log"])
      assert.equal(await vera.page.getByRole("link", { name }).count(), 0, `${name} is hidden`);

    await ada.page.getByRole("button", { name: "Remove Vera Viewer" }).click();
    await ada.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await ada.page.getByText("Vera Viewer was removed.").waitFor();
    // As after the withdrawal: the notice shows before the list has reloaded (CI read 3 rows).
    await until("two members left", async () => (await ada.page.getByTestId("member-row").count()) === 2);
    await ada.context.close();
    await vera.context.close();
  });

  test("API tokens: created and shown once with a copy button, used, revoked", async () => {
    await owner.getByRole("link", { name: "API tokens" }).click();
    await owner.getByRole("heading", { name: "API tokens", level: 1 }).waitFor();
    await owner.getByLabel("Name").fill("CRM sync");
    await owner.getByLabel("Role", { exact: true }).selectOption("marketer");
    await owner.getByRole("button", { name: "Create token" }).click();
    const token = await text(owner.getByTestId("secret-once-value"));
    assert.match(token, /\S{20,}/);
    await owner.getByRole("button", { name: "Copy" }).click();
    await owner.getByRole("button", { name: "Copied" }).waitFor();
    // As text: this runs in the page, where the DOM types of this Node project do not apply.
    assert.equal(await owner.evaluate("navigator.clipboard.readText()"), token);

    const asToken = () =>
      owner.request.get(`${stack.baseUrl}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await asToken()).status(), 200);
    await owner.getByRole("button", { name: "Close" }).click();
    await owner.reload();
    const row = owner.getByTestId("token-row").filter({ hasText: "CRM sync" });
    assert.doesNotMatch(await text(row), /Never/, "its last use is shown");
    assert.ok(!(await owner.content()).includes(token), "the secret is never shown again");
    assert.deepEqual(await accessibilityProblems(owner, "api-tokens"), []);
    await shot(owner, "api-tokens");

    await row.getByRole("button", { name: "Revoke CRM sync" }).click();
    await owner.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await row.getByText(/Revoked/).waitFor();
    assert.equal((await asToken()).status(), 401);
  });

  test("audit log: filters by action, actor and time; an entry's details", async () => {
    await owner.getByRole("link", { name: "Audit log" }).click();
    await owner.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
    await until("entries", async () => (await owner.getByTestId("audit-row").count()) > 5);
    await owner.getByLabel("Action").fill("api_token.revoked");
    await owner.getByRole("button", { name: "Show" }).click();
    await until("one revocation", async () => (await owner.getByTestId("audit-row").count()) === 1);
    await owner.getByRole("button", { name: "Details" }).click();
    assert.match(await text(owner.getByTestId("audit-details")), /Request id/);

    await owner.getByLabel("Action").fill("");
    await owner.getByLabel("Who").selectOption({ label: "Ada Admin" });
    await owner.getByRole("button", { name: "Show" }).click();
    await until("Ada's entries only", async () => {
      const rows = await owner.getByTestId("audit-row").allTextContents();
      return rows.length > 0 && rows.every((r) => r.includes("Ada Admin"));
    });
    // A window in the future holds nothing.
    await owner.getByLabel("Who").selectOption({ label: "All" });
    await owner.getByLabel("From").fill("2099-01-01T00:00");
    await owner.getByRole("button", { name: "Show" }).click();
    await owner.getByText("No entries match.").waitFor();
    await owner.getByLabel("From").fill("");
    await owner.getByRole("button", { name: "Show" }).click();
    await until("entries again", async () => (await owner.getByTestId("audit-row").count()) > 5);
    assert.deepEqual(await accessibilityProblems(owner, "audit-log"), []);
    await shot(owner, "audit-log");
  });

  test("privacy: find a person, export, erase (naming the provider it reaches) and follow it; retention preview", async () => {
    // A person synced to ON24 (the simulator), through the API as the signed-in owner.
    const post = async (url: string, data: unknown) => {
      const res = await owner.request.post(`${stack.baseUrl}${url}`, { data });
      assert.ok(res.status() < 300, `${url}: ${res.status()} ${await res.text()}`);
      return res.json();
    };
    const terms = await apiGet(owner, "/api/v1/webinar/terms");
    if (!terms.current) await post("/api/v1/webinar/terms/accept", { version: terms.version });
    const config = await post("/api/v1/webinar-configurations", {
      provider: "on24",
      name: "ON24 main",
      settings: { region: "NA" },
      credentials: ON24_ACCOUNT,
    });
    const start = new Date(Date.now() + 86400_000);
    const event = await post("/api/v1/events", {
      title: "Privacy webinar",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "webinar",
      webinarConfigurationId: config.id,
    });
    const registered = await post(`/api/v1/events/${event.id}/registrations`, {
      contact: { firstName: "Erik", lastName: "Erased", email: "erik@example.com" },
    });
    await until("Erik synced to ON24", async () => {
      const r = await apiGet(owner, `/api/v1/registrations/${registered.id}`);
      return JSON.stringify(r).includes('"synced"');
    });

    await owner.getByRole("link", { name: "Privacy" }).click();
    await owner.getByRole("heading", { name: "Privacy", level: 1 }).waitFor();
    await owner.getByLabel("Find a person (name or email)").fill("erik@");
    await owner.getByRole("button", { name: "Search" }).click();
    const row = owner.getByTestId("person-row").filter({ hasText: "erik@example.com" });
    await row.waitFor();
    for (const format of ["JSON", "CSV"]) {
      const href = await row
        .getByRole("link", { name: `Export Erik Erased as ${format}` })
        .getAttribute("href");
      const exported = await owner.request.get(new URL(href ?? "", stack.baseUrl).href);
      assert.equal(exported.status(), 200);
      assert.match(await exported.text(), /erik@example\.com/);
    }
    await row.getByRole("button", { name: "Erase Erik Erased" }).click();
    const dialog = owner.getByRole("dialog");
    assert.match(await text(dialog), /reaches these provider accounts: ON24 \(ON24 main\)/);
    assert.deepEqual(await accessibilityProblems(owner, "privacy-erase-dialog"), []);
    await dialog.getByRole("button", { name: "Erase" }).click();
    const erasure = owner.getByTestId("erasure-row").first();
    await erasure.waitFor();
    await until("the erasure done at ON24", async () => {
      await owner.getByRole("button", { name: "Refresh" }).click();
      return /ON24 \(ON24 main\): ● Done/.test(await text(erasure.getByTestId("erasure-provider")));
    });

    await owner.getByLabel("Registrations (days)").fill("30");
    await owner.getByRole("button", { name: "Save", exact: true }).click();
    await owner
      .getByTestId("retention-counts")
      .getByText(/^Would delete: \d+ registrations/)
      .waitFor();
    assert.equal((await apiGet(owner, "/api/v1/privacy/retention")).registrationsDays, 30);
    assert.deepEqual(await accessibilityProblems(owner, "privacy"), []);
    await shot(owner, "privacy");
  });
});
