import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { apiGet, ConsoleWatch, shot } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * The public page under overload, in Chromium: with room for one registration in flight
 * (AUDITORIUM_INTAKE_MAX_IN_FLIGHT=1) and that place held by a request whose body has not
 * arrived yet, the visitor's submit is answered 503 with Retry-After; the page says it is busy
 * and retrying, and once the place is free its retry registers them.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");

describe("the public page retries when the server is busy, in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    stack = await startStack({
      env: { AUDITORIUM_INTAKE_MAX_IN_FLIGHT: "1", AUDITORIUM_INTAKE_RETRY_AFTER_SECONDS: "1" },
    });
    browser = await launchChromium();
    const context = await browser.newContext({ locale: "nb-NO" });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    consoleWatch.watch(page, "visitor");
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('a 503 shows "busy, retrying" (Norsk bokmål), and the retry registers the visitor once', async () => {
    await page.goto(stack.signInLink);
    const day = new Date(Date.now() + 5 * 86400_000).toISOString().slice(0, 10);
    const created = await page.request.post(`${stack.baseUrl}/api/v1/events`, {
      data: {
        title: "Lanseringsdag",
        startsAt: `${day}T10:00`,
        endsAt: `${day}T12:00`,
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    assert.equal(created.status(), 201, await created.text());
    const eventId = (await created.json()).id as string;
    const published = await page.request.post(`${stack.baseUrl}/api/v1/events/${eventId}/publish`);
    assert.equal(published.status(), 200, await published.text());
    const slug = (await published.json()).slug as string;

    // The one place, taken: the headers have arrived (admission is decided on them), the body not yet.
    const body = JSON.stringify({ firstName: "Held", lastName: "Place", email: "held@example.com" });
    const port = Number(new URL(stack.baseUrl).port);
    const held = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => held.once("connect", resolve));
    held.write(
      `POST /api/v1/public/events/${slug}/registrations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    const heldAnswer = new Promise<string>((resolve) => {
      let got = "";
      held.on("data", (chunk) => {
        got += chunk.toString();
        if (got.includes("\r\n\r\n")) resolve(got);
      });
    });

    await page.goto(`${stack.baseUrl}/e/${slug}`);
    await page.getByRole("heading", { name: "Lanseringsdag" }).waitFor();
    await page.getByLabel("Fornavn").fill("Kari");
    await page.getByLabel("Etternavn").fill("Nordmann");
    await page.getByLabel("E-post").fill("kari@example.com");
    await page.getByRole("button", { name: "Meld meg på" }).click();
    const busy = page.getByRole("status").filter({ hasText: "vi er opptatt" });
    await busy.waitFor();
    assert.match((await busy.textContent()) ?? "", /Prøver igjen om \d+ s/);
    assert.equal(await page.getByRole("button", { name: "Meld meg på" }).isDisabled(), true);
    await shot(page, "public-registration-busy-retrying");

    // Until the place is free the page keeps retrying (each try refused at once, nothing written).
    await new Promise((r) => setTimeout(r, 2500));
    await busy.waitFor();
    held.write(body);
    assert.match(await heldAnswer, /^HTTP\/1\.1 202/);
    held.destroy();

    await page.getByRole("heading", { name: "Sjekk e-posten din" }).waitFor();
    const list = await apiGet(page, `/api/v1/events/${eventId}/registrations`);
    const emails = list.data.map((r: { contact: { email: string } }) => r.contact.email).sort();
    assert.deepEqual(emails, ["held@example.com", "kari@example.com"], "each registered once");
    // The refused tries are the browser's only logged failures.
    const logged = consoleWatch.take();
    assert.ok(logged.length >= 1);
    for (const line of logged) assert.match(line, /status of 503/);
  });
});
