import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import jsQRModule from "jsqr";
import type { Browser, Page } from "playwright-core";
import { uuidv7 } from "../../src/lib/ids.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { writeQrClip } from "./fake-camera.ts";
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
 * The check-in desk in Chromium, through the public API only: the QR code on the confirmation
 * page and in the confirmation email (real SMTP), search and check in/out, a walk-in, the QR
 * scanned from a fake camera (a Y4M clip of the generated code), and a viewer who sees no
 * action. axe-core on the desk and the confirmation page.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let smtp: TestSmtp;
let browser: Browser;
let owner: Page;
let eventId = "";
let slug = "";
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");
// jsqr is CommonJS: under Node its default import is the module object, whose `default` is the function.
const jsQR = jsQRModule.default;
const clips = mkdtempSync(path.join(os.tmpdir(), "auditorium-camera-"));

/** The text of the QR code in the page's image at `selector`, read back from a canvas as drawn. */
async function qrIn(page: Page, selector: string): Promise<string | undefined> {
  await page.locator(selector).waitFor();
  // As text: this runs in the page, where the DOM types of this Node project do not apply.
  const pixels = (await page.evaluate(`(() => {
    const img = document.querySelector(${JSON.stringify(selector)});
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height);
    return { width: data.width, height: data.height, rgba: Array.from(data.data) };
  })()`)) as { width: number; height: number; rgba: number[] };
  return jsQR(Uint8ClampedArray.from(pixels.rgba), pixels.width, pixels.height)?.data;
}

describe("check-in desk in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    smtp = await startTestSmtp();
    stack = await startStack({
      env: { AUDITORIUM_SMTP_URL: smtp.url, AUDITORIUM_MAIL_FROM: "Auditorium <team@auditorium.test>" },
    });
    browser = await launchChromium();
    owner = await signedInPage(stack, browser, consoleWatch);
    const created = await owner.request.post(`${stack.baseUrl}/api/v1/events`, {
      data: {
        title: "Oslo summit",
        startsAt: "2031-05-06T09:00",
        endsAt: "2031-05-06T17:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    assert.equal(created.status(), 201, await created.text());
    ({ id: eventId, slug } = await created.json());
    const published = await owner.request.post(`${stack.baseUrl}/api/v1/events/${eventId}/publish`);
    assert.equal(published.status(), 200, await published.text());
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await smtp?.stop();
    rmSync(clips, { recursive: true, force: true });
  });

  /** Registers on the public API as a visitor would; answers the page token and registration id. */
  async function registerVisitor(firstName: string, lastName: string, email: string) {
    const res = await owner.request.post(`${stack.baseUrl}/api/v1/public/events/${slug}/registrations`, {
      data: { firstName, lastName, email },
    });
    assert.equal(res.status(), 202, await res.text());
    const { pageToken, registrationId } = stack.notices.last("registered");
    assert.ok(pageToken);
    return { pageToken, registrationId };
  }

  test("the confirmation page and the confirmation email carry the QR code of the check-in code", async () => {
    const { pageToken, registrationId } = await registerVisitor("Kari", "Nordmann", "kari@example.com");
    const visitor = await browser.newContext({ locale: "en-GB" });
    const p = await visitor.newPage();
    await consoleWatch.watch(p, "visitor");
    await p.goto(`${stack.baseUrl}/r/${encodeURIComponent(pageToken)}`);
    const qr = p.getByTestId("check-in-qr");
    await qr.getByRole("img", { name: "Your check-in code" }).waitFor();
    assert.match(await text(qr), new RegExp(registrationId));
    // The image as the browser drew it, read back from a canvas and decoded: it is this registration.
    assert.equal(await qrIn(p, '[data-testid="check-in-qr"] img'), registrationId);
    assert.deepEqual(await accessibilityProblems(p, "confirmation-qr"), []);
    await shot(p, "confirmation-qr");

    const mail = await eventually(async () => smtp.to("kari@example.com")[0]);
    const image = mail.parsed.attachments.find((a) => a.contentType === "image/png");
    assert.ok(image, "the confirmation email carries a PNG");
    assert.equal(image.cid, "check-in-code");
    // Decoded, not compared byte for byte: the encoder's settings (filters, compression) may change.
    const reader = await visitor.newPage();
    await reader.setContent(`<img alt="" src="data:image/png;base64,${image.content.toString("base64")}">`);
    assert.equal(await qrIn(reader, "img"), registrationId, "the PNG is this registration's code");
    await visitor.close();
  });

  test("desk: search by name or email, check in and out, register a walk-in; the counts follow", async () => {
    await registerVisitor("Ola", "Hansen", "ola@example.com");
    // Without the demo simulator there is no demo account to offer (the first-run checklist's).
    const demo = await owner.request.get(`${stack.baseUrl}/api/v1/demo/webinar-account`);
    assert.deepEqual(await demo.json(), { account: null });
    await owner.getByRole("link", { name: "Check-in" }).click();
    await owner.getByRole("heading", { name: "Check-in desk", level: 1 }).waitFor();
    await owner.getByLabel("Event").selectOption({ label: "Oslo summit" });
    const counts = owner.getByTestId("desk-counts");
    await counts.getByText("0 checked in of 2 registered").waitFor();

    await owner.getByLabel("Name or email").fill("ola@example");
    await owner.getByRole("button", { name: "Search", exact: true }).click();
    await owner.getByTestId("desk-row").filter({ hasText: "Ola Hansen" }).waitFor();
    assert.equal(await owner.getByTestId("desk-row").count(), 1);
    await owner.getByRole("button", { name: "Check in Ola Hansen" }).click();
    await owner.getByTestId("desk-notice").getByText("Ola Hansen is checked in.").waitFor();
    await counts.getByText("1 checked in of 2 registered").waitFor();
    await owner.getByRole("button", { name: "Check out Ola Hansen" }).click();
    await owner.getByTestId("desk-notice").getByText("Ola Hansen is checked out.").waitFor();
    await counts.getByText("0 checked in of 2 registered").waitFor();

    // By name, and the typed code (the fallback when the camera cannot read it).
    await owner.getByLabel("Name or email").fill("Kari");
    await owner.getByRole("button", { name: "Search", exact: true }).click();
    await owner.getByTestId("desk-row").filter({ hasText: "kari@example.com" }).waitFor();
    const kari = (
      await (await owner.request.get(`${stack.baseUrl}/api/v1/events/${eventId}/registrations?q=kari`)).json()
    ).data[0];
    await owner.getByLabel("Check-in code").fill(kari.id);
    await owner.getByRole("button", { name: "Check in by code" }).click();
    await owner.getByTestId("desk-notice").getByText("Kari Nordmann is checked in.").waitFor();
    await owner.getByLabel("Check-in code").fill("not-a-code");
    await owner.getByRole("button", { name: "Check in by code" }).click();
    await owner.getByRole("alert").getByText("No registration has this code.").waitFor();

    await owner.getByLabel("First name").fill("Walk");
    await owner.getByLabel("Last name").fill("In");
    await owner.getByLabel("Email", { exact: true }).fill("walk.in@example.com");
    await owner.getByRole("button", { name: "Register and check in" }).click();
    await owner.getByTestId("desk-notice").getByText("Walk In is registered and checked in.").waitFor();
    await counts.getByText("2 checked in of 3 registered").waitFor();
    const checkIns = await (
      await owner.request.get(`${stack.baseUrl}/api/v1/events/${eventId}/check-ins`)
    ).json();
    assert.deepEqual(
      checkIns.data.map((c: { contact: { firstName: string } }) => c.contact.firstName).sort(),
      ["Kari", "Walk"],
    );
    assert.deepEqual(await accessibilityProblems(owner, "checkin-desk"), []);
    await shot(owner, "checkin-desk");
  });

  test("QR check-in from the camera: a fake camera shows the attendee's code, the desk checks them in", async () => {
    const { registrationId } = await registerVisitor("Per", "Kamera", "per@example.com");
    const clip = path.join(clips, "qr.y4m");
    writeQrClip(clip, registrationId);
    const started = Date.now();
    const camera = await launchChromium([
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${clip}`,
    ]);
    try {
      const context = await camera.newContext({
        locale: "en-GB",
        storageState: await owner.context().storageState(),
        permissions: ["camera"],
      });
      context.setDefaultTimeout(15_000);
      const desk = await context.newPage();
      await consoleWatch.watch(desk, "camera desk");
      await desk.goto(`${stack.baseUrl}/check-in/${eventId}`);
      await desk.getByRole("button", { name: "Start the camera" }).click();
      await desk
        .getByTestId("desk-notice")
        .getByText("Per Kamera is checked in.")
        .waitFor({ timeout: 30_000 });
      console.log(`# QR read from the fake camera and checked in after ${Date.now() - started} ms`);
      const checkIns = await (
        await owner.request.get(`${stack.baseUrl}/api/v1/events/${eventId}/check-ins`)
      ).json();
      const per = checkIns.data.filter(
        (c: { registrationId: string }) => c.registrationId === registrationId,
      );
      assert.equal(per.length, 1, "one check-in, however many frames showed the code");
      await desk.getByRole("button", { name: "Stop the camera" }).click();
    } finally {
      await camera.close();
    }
  });

  test("a viewer sees the counts and the list, but no action", async () => {
    const invited = await owner.request.post(`${stack.baseUrl}/api/v1/members`, {
      data: { email: "vera@example.com", name: "Vera Viewer", role: "viewer", language: "en" },
    });
    assert.equal(invited.status(), 202, await invited.text());
    const mail = await eventually(async () => smtp.to("vera@example.com")[0]);
    const link = /(http:\S+\/auth\/invitation\?token=[\w-]+)/.exec(mail.parsed.text ?? "")?.[1];
    assert.ok(link);
    const context = await browser.newContext({ locale: "en-GB" });
    const v = await context.newPage();
    await consoleWatch.watch(v, "viewer");
    await v.goto(link);
    await v.getByRole("heading", { name: "Events", level: 1 }).waitFor();
    await v.goto(`${stack.baseUrl}/check-in/${eventId}`);
    await v
      .getByTestId("desk-counts")
      .getByText(/checked in of 4 registered/)
      .waitFor();
    await v.getByLabel("Name or email").fill("example.com");
    await v.getByRole("button", { name: "Search", exact: true }).click();
    await v.getByTestId("desk-row").first().waitFor();
    assert.equal(await v.getByTestId("desk-row").getByRole("button").count(), 0);
    for (const name of ["Start the camera", "Check in by code", "Register and check in"])
      assert.equal(await v.getByRole("button", { name }).count(), 0, `${name} is hidden`);
    assert.deepEqual(await accessibilityProblems(v, "checkin-desk-viewer"), []);
    await context.close();
  });

  test("more than a page of check-ins: the desk counts all 520 and sees that the earliest is in", async () => {
    const created = await owner.request.post(`${stack.baseUrl}/api/v1/events`, {
      data: {
        title: "Big hall",
        startsAt: "2031-06-06T09:00",
        endsAt: "2031-06-06T17:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    assert.equal(created.status(), 201, await created.text());
    const big = (await created.json()).id as string;
    // 521 people through the CSV import (the bulk API); the first is the earliest to come.
    const rows = ["email,first_name,last_name", "early@example.com,Early,Bird"];
    for (let i = 1; i <= 519; i++) rows.push(`guest${i}@example.com,Guest,Number${i}`);
    rows.push("late@example.com,Late,Comer");
    const upload = await owner.request.post(
      `${stack.baseUrl}/api/v1/events/${big}/imports?fileName=big.csv`,
      {
        headers: { "content-type": "text/csv" },
        data: rows.join("\n"),
      },
    );
    assert.equal(upload.status(), 202, await upload.text());
    const importId = (await upload.json()).id as string;
    await until("the import done", async () => {
      const state = await apiGet(owner, `/api/v1/imports/${importId}`);
      return state.status === "completed" && state.succeededRows === 521;
    });
    // 520 check-ins straight into the database, oldest first (Early Bird's), a millisecond apart
    // so the ids keep that order: 520 scans through the API would only slow the test.
    const registrations = await stack.db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select(["r.id", "r.organization_id", "c.email"])
      .where("r.event_id", "=", big)
      .execute();
    const early = registrations.find((r) => r.email === "early@example.com");
    assert.ok(early);
    const comers = [early, ...registrations.filter((r) => !/^(early|late)@/.test(r.email))];
    assert.equal(comers.length, 520);
    const start = Date.now() - 3600_000;
    await stack.db
      .insertInto("check_ins")
      .values(
        comers.map((r, i) => ({
          id: uuidv7(start + i),
          organization_id: r.organization_id,
          event_id: big,
          session_id: null,
          registration_id: r.id,
          kind: "onsite" as const,
          checked_in_at: new Date(start + i),
        })),
      )
      .execute();

    await owner.goto(`${stack.baseUrl}/check-in/${big}`);
    const counts = owner.getByTestId("desk-counts");
    await counts.getByText("520 checked in of 521 registered").waitFor();
    // Early Bird's check-in is the oldest, outside the newest 500: still shown as in.
    await owner.getByLabel("Name or email").fill("early@example");
    await owner.getByRole("button", { name: "Search", exact: true }).click();
    await owner.getByRole("button", { name: "Check out Early Bird" }).waitFor();
    await owner.getByLabel("Name or email").fill("late@example");
    await owner.getByRole("button", { name: "Search", exact: true }).click();
    await owner.getByRole("button", { name: "Check in Late Comer" }).click();
    await counts.getByText("521 checked in of 521 registered").waitFor();
    await shot(owner, "checkin-desk-520");
  });
});
