import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { ConsoleWatch, signedInPage } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The outbox page in Chromium, with a real SMTP server behind the service: an invitation is
 * sent and followed by the invitee to their first sign-in, another bounces (5xx), and the
 * admin sees both states and previews the message as its recipient sees it.
 */
let smtp: TestSmtp;
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("outbox page in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    smtp = await startTestSmtp();
    smtp.respondWith((to) =>
      to.some((a) => a.startsWith("bounce@")) ? { code: 550, message: "5.1.1 No such mailbox" } : "accept",
    );
    stack = await startStack({
      env: { AUDITORIUM_SMTP_URL: smtp.url, AUDITORIUM_MAIL_FROM: "Auditorium <team@auditorium.test>" },
    });
    browser = await launchChromium();
    // Tall enough that the preview frame is on screen: Chromium paints a sandboxed frame
    // (its own process) only where the viewport shows it, so a full-page shot would miss it.
    page = await signedInPage(stack, browser, consoleWatch, {
      who: "admin",
      viewport: { width: 1280, height: 1400 },
    });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await smtp?.stop();
  });

  test("an invitation goes out, the invitee signs in with it, a bounce is failed; the admin previews both", async () => {
    for (const [email, name] of [
      ["nora@example.com", "Nora Invitee"],
      ["bounce@example.com", "Bo Unce"],
    ]) {
      const invited = await page.request.post(`${stack.baseUrl}/api/v1/members`, {
        data: { email, name, role: "viewer", language: "nb" },
      });
      assert.equal(invited.status(), 202, await invited.text());
      assert.doesNotMatch(await invited.text(), /token=/);
    }

    // The invitee's first sign-in, from the link in the message the SMTP server received.
    const mail = await eventually(async () => smtp.to("nora@example.com")[0]);
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(mail.parsed.text ?? "")?.[1];
    assert.ok(link);
    const invitee = await browser.newContext({ locale: "nb-NO" });
    const v = await invitee.newPage();
    consoleWatch.watch(v, "invitee");
    await v.goto(link);
    await v.getByRole("heading", { name: "Arrangementer", level: 1 }).waitFor();
    await invitee.close();

    // Both settled (the API the page reads), then the page shows them.
    await eventually(async () => {
      const list = await (await page.request.get(`${stack.baseUrl}/api/v1/email/messages`)).json();
      const states = list.data.map((m: { state: string }) => m.state).sort();
      return states.join() === "failed,sent" ? true : undefined;
    });
    await page.getByRole("link", { name: "Outbox" }).click();
    await page.getByRole("heading", { name: "Outbox", level: 1 }).waitFor();
    await page.getByTestId("outbox-delivery").getByText("sent through the configured SMTP server").waitFor();
    const rows = page.getByTestId("outbox-row");
    const bounced = rows.filter({ hasText: "bounce@example.com" });
    await bounced.getByText("Failed").waitFor();
    await bounced.getByText("550 5.1.1 No such mailbox").waitFor();
    const delivered = rows.filter({ hasText: "nora@example.com" });
    await delivered.getByText("Sent").waitFor();
    await delivered.getByText(/Server id: TEST\d+/).waitFor();

    await rows.filter({ hasText: "nora@example.com" }).getByRole("button", { name: "Preview" }).click();
    await page.getByRole("heading", { name: /Preview: Invitasjon til/ }).waitFor();
    const frame = page.frameLocator("iframe[title='The message as its recipient sees it']");
    await frame.getByText("Godta invitasjonen").waitFor();
    await frame.getByText("Hei Nora Invitee,").waitFor();
    const srcdoc = (await page.locator("iframe").getAttribute("srcdoc")) ?? "";
    assert.ok(
      !srcdoc.includes(new URL(link).searchParams.get("token") as string),
      "the preview leaks the link",
    );
    assert.equal(await page.locator("iframe").getAttribute("sandbox"), "");
    await page.locator("iframe").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, "outbox.png") });

    await page.getByTestId("language").selectOption("nb");
    await page.getByRole("heading", { name: "Utboks", level: 1 }).waitFor();
    await page
      .getByTestId("outbox-row")
      .filter({ hasText: "bounce@example.com" })
      .getByText("Feilet")
      .waitFor();
  });
});
