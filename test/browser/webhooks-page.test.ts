import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { accessibilityProblems, ConsoleWatch, shot, signedInPage, text, until } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The outgoing webhooks page in Chromium against a real receiver: an endpoint added with its
 * secret shown once, a registration delivered and verified with that secret by the reference
 * library, the delivery's state on the page, a replay with the same id, a rotation, switching
 * off; axe-core clean.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
let receiver: Server;
let receiverUrl = "";
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("outgoing webhooks page in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    // The receiver runs on loopback, which only the operator may allow.
    stack = await startStack({ env: { AUDITORIUM_ALLOW_PRIVATE_HOSTS: "127.0.0.1" } });
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, { who: "admin" });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  test("add an endpoint, see a signed delivery, replay it, rotate the secret, switch it off", async () => {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Outgoing webhooks", level: 1 }).waitFor();
    await page.getByLabel("URL (https)").fill(receiverUrl);
    await page.getByLabel("Description").fill("CRM");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = await text(page.getByTestId("secret-once-value"));
    assert.match(secret, /^whsec_/);
    await page.getByRole("button", { name: "Close" }).click();

    const start = new Date(Date.now() + 86400_000);
    const created = await page.request.post(`${stack.baseUrl}/api/v1/events`, {
      data: {
        title: "Hooked",
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        timeZone: "UTC",
        format: "onsite",
      },
    });
    const event = await created.json();
    const registered = await page.request.post(`${stack.baseUrl}/api/v1/events/${event.id}/registrations`, {
      data: { contact: { firstName: "Hugo", lastName: "Hook", email: "hugo@example.com" } },
    });
    assert.equal(registered.status(), 201, await registered.text());
    const first = await until("the delivery at the receiver", async () => received[0]);
    const verified = new Webhook(secret).verify(first.body, {
      "webhook-id": String(first.headers["webhook-id"]),
      "webhook-timestamp": String(first.headers["webhook-timestamp"]),
      "webhook-signature": String(first.headers["webhook-signature"]),
    }) as { type: string };
    assert.equal(verified.type, "registration.created");

    const card = page.getByTestId("webhook-endpoint");
    await until("the delivery shown delivered", async () => {
      await page.reload();
      return /Delivered/.test(await text(card.getByTestId("webhook-delivery").first()));
    });
    assert.deepEqual(await accessibilityProblems(page, "webhooks"), []);
    await shot(page, "webhooks");

    const webhookId = String(first.headers["webhook-id"]);
    await card.getByRole("button", { name: `Send ${webhookId} again` }).click();
    await page.getByText(`${webhookId} is queued again, with the same id.`).waitFor();
    await until("the replay at the receiver", async () => received.length >= 2);
    assert.equal(received[1]?.headers["webhook-id"], webhookId, "a replay keeps the id");

    await card.getByRole("button", { name: "Rotate the signing secret" }).click();
    const rotated = await text(page.getByTestId("secret-once-value"));
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
    await page.getByRole("button", { name: "Close" }).click();

    await card.getByRole("button", { name: "Switch off" }).click();
    await card.getByRole("button", { name: "Switch on" }).waitFor();
    assert.match(await text(card.getByRole("heading")), /Off$/);
    assert.ok(!(await page.content()).includes(secret), "the secret is never shown again");
  });
});
