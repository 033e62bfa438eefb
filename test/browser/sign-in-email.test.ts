import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { ConsoleWatch, shot, text } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The sign-in page's two email buttons in Chromium, with a real SMTP server behind the
 * service: "Email me a sign-in link" (English) and "Forgot password?" (Norsk bokmål). Each
 * gives the same notice for an address without an account as for the owner's; only the
 * owner's mailbox receives a message, and following its link signs the owner in.
 */
let smtp: TestSmtp;
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");
const STRANGER = "nobody-here@example.com";

/** The link in the newest message to `to` that the SMTP server received after `seen` messages. */
async function linkInMail(to: string, seen: number) {
  const mail = await eventually(async () => smtp.to(to)[seen]);
  const link = /(http:\S+\/auth\/link\?token=[\w-]+)/.exec(mail.parsed.text ?? "")?.[1];
  assert.ok(link, "the message carries the sign-in link");
  return { link, subject: mail.parsed.subject ?? "" };
}

/** The notice with the typed address taken out: what would tell two addresses apart. */
async function noticeFor(page: Page, button: string, address: string) {
  await page.getByLabel(/^(Email|E-post)$/).fill(address);
  await page.getByRole("button", { name: button }).click();
  const status = page.getByRole("status");
  await status.filter({ hasText: address }).waitFor();
  return (await text(status)).replace(address, "<address>");
}

describe("sign-in page email buttons in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    smtp = await startTestSmtp();
    stack = await startStack({
      env: { AUDITORIUM_SMTP_URL: smtp.url, AUDITORIUM_MAIL_FROM: "Auditorium <team@auditorium.test>" },
    });
    browser = await launchChromium();
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    assert.deepEqual(consoleWatch.cspViolations, [], "CSP violations");
    await browser?.close();
    await stack?.stop();
    await smtp?.stop();
  });

  test("Email me a sign-in link: the same notice for any address; the owner's mail signs them in", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    context.setDefaultTimeout(45_000);
    const page = await context.newPage();
    consoleWatch.watch(page, "en");
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();

    // No address yet: the page asks for one and sends nothing.
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await page.getByRole("status").filter({ hasText: "Enter your email address first" }).waitFor();

    const forStranger = await noticeFor(page, "Email me a sign-in link", STRANGER);
    const forOwner = await noticeFor(page, "Email me a sign-in link", stack.ownerEmail);
    assert.equal(forOwner, forStranger, "the notice does not tell an account from none");
    assert.match(forOwner, /If <address> has an account, a message with a link is on its way/);
    await shot(page, "sign-in-link-requested");

    const { link, subject } = await linkInMail(stack.ownerEmail, 0);
    assert.equal(subject, "Your sign-in link for Auditorium");
    await page.goto(link);
    await page.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    assert.equal(smtp.to(STRANGER).length, 0, "no message to an address without an account");
    await context.close();
  });

  test("Glemt passordet? (Norsk bokmål): the same notice for any address; the reset link signs in and asks for a new password", async () => {
    const context = await browser.newContext({ locale: "nb-NO" });
    context.setDefaultTimeout(45_000);
    const page = await context.newPage();
    consoleWatch.watch(page, "nb");
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole("heading", { name: "Logg inn", level: 1 }).waitFor();

    const seen = smtp.to(stack.ownerEmail).length;
    const forStranger = await noticeFor(page, "Glemt passordet?", STRANGER);
    const forOwner = await noticeFor(page, "Glemt passordet?", stack.ownerEmail);
    assert.equal(forOwner, forStranger, "the notice does not tell an account from none");
    assert.match(forOwner, /Hvis <address> har en konto, er en e-post med en lenke på vei dit/);

    const { link, subject } = await linkInMail(stack.ownerEmail, seen);
    assert.equal(subject, "Reset your Auditorium password");
    await page.goto(link);
    await page.getByRole("heading", { name: "Arrangementer", level: 1 }).waitFor();
    // The reset cleared the password: the app asks for a new one.
    await page.getByRole("heading", { name: "Sett et passord" }).waitFor();
    assert.equal(smtp.to(STRANGER).length, 0, "no message to an address without an account");
    await shot(page, "password-reset-followed");
    await context.close();
  });
});
