import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { apiGet, ConsoleWatch, shot, signedInPage, text } from "./page-helpers.ts";
import { ARTIFACTS, ensureWebBuilt, launchChromium, startStack } from "./server.ts";

/**
 * Custom registration questions in Chromium (docs/registration-questions.md): the organiser
 * adds them in the event form, the public page at /e/{slug} asks them, names an unanswered
 * required one next to it, and the answers are stored with the registration.
 */
let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let page: Page;
const consoleWatch = new ConsoleWatch();
consoleWatch.expected401.add("/api/v1/me");
const state = { eventId: "", slug: "" };

describe("registration questions in Chromium", () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureWebBuilt();
    stack = await startStack();
    browser = await launchChromium();
    page = await signedInPage(stack, browser, consoleWatch, { who: "admin" });
  });
  afterEach(() => assert.deepEqual(consoleWatch.take(), [], "no console or page errors"));
  after(async () => {
    assert.deepEqual(consoleWatch.cspViolations, [], "CSP violations");
    await browser?.close();
    await stack?.stop();
  });

  test("the organiser adds questions in the event form; they are saved in order with ids", async () => {
    await page.getByRole("link", { name: "New event" }).click();
    await page.getByLabel("Title", { exact: true }).fill("Questions day");
    await page.getByLabel("Time zone", { exact: true }).selectOption("Europe/Oslo");
    const day = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
    await page.getByLabel("Starts (in the event's time zone)").fill(`${day}T10:00`);
    await page.getByLabel("Ends (in the event's time zone)").fill(`${day}T12:00`);

    await page.getByRole("button", { name: "Add question" }).click();
    const first = page.locator('[data-question="0"]');
    await first.getByLabel("Question 1").fill("Diet");
    await first.getByLabel("Answer type").selectOption("single_choice");
    await first.getByLabel("Options, one per line").fill("Vegetarian\nVegan\nNo preference");
    await first.getByRole("checkbox", { name: "Required" }).check();
    await page.getByRole("button", { name: "Add question" }).click();
    const second = page.locator('[data-question="1"]');
    await second.getByLabel("Question 2").fill("Why are you coming?");
    await second.getByLabel("Longest answer (characters)").fill("100");
    await page.getByRole("button", { name: "Add question" }).click();
    const third = page.locator('[data-question="2"]');
    await third.getByLabel("Question 3").fill("I accept the house rules");
    await third.getByLabel("Answer type").selectOption("checkbox");
    await third.getByRole("checkbox", { name: "Required" }).check();
    // The text question goes first: reordering is part of the form.
    await second.getByRole("button", { name: "Move up" }).click();
    await shot(page, "event-form-questions");
    await page.getByRole("button", { name: "Create event" }).click();
    await page.getByRole("heading", { name: "Questions day" }).waitFor();
    state.eventId = new URL(page.url()).pathname.split("/")[2] ?? "";
    const event = await apiGet(page, `/api/v1/events/${state.eventId}`);
    assert.deepEqual(
      event.registrationQuestions.map((q: { label: string; type: string; required: boolean }) => [
        q.label,
        q.type,
        q.required,
      ]),
      [
        ["Why are you coming?", "text", false],
        ["Diet", "single_choice", true],
        ["I accept the house rules", "checkbox", true],
      ],
    );
    assert.deepEqual(
      event.registrationQuestions[1].options.map((o: { label: string }) => o.label),
      ["Vegetarian", "Vegan", "No preference"],
    );
    const published = await page.request.post(`${stack.baseUrl}/api/v1/events/${state.eventId}/publish`);
    assert.equal(published.status(), 200, await published.text());
    state.slug = event.slug;
  });

  test("a bad question is refused and named at the question", async () => {
    await page.goto(`${stack.baseUrl}/events/${state.eventId}/edit`);
    const diet = page.locator('[data-question="1"]');
    await diet.getByLabel("Options, one per line").fill("");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const options = diet.getByLabel("Options, one per line");
    await page.locator('[data-question="1"] [aria-invalid="true"]').waitFor();
    assert.equal(await options.getAttribute("aria-invalid"), "true");
    assert.match(await text(diet.locator(".field-error")), /at least one option/);
    const event = await apiGet(page, `/api/v1/events/${state.eventId}`);
    assert.equal(event.registrationQuestions[1].options.length, 3, "nothing changed");
    // The refused save is the browser's one logged failure: taken here, so the hook sees none.
    const logged = consoleWatch.take();
    assert.equal(logged.length, 1);
    assert.match(logged[0] ?? "", /status of 422/);
  });

  test("the public page asks the questions, names an unanswered required one, and stores the answers", async () => {
    const visitor = await browser.newContext({ locale: "en-GB" });
    const p = await visitor.newPage();
    consoleWatch.watch(p, "visitor");
    await p.goto(`${stack.baseUrl}/e/${state.slug}`);
    await p.getByRole("heading", { name: "Questions day" }).waitFor();
    await p.getByLabel("First name").fill("Grace");
    await p.getByLabel("Last name").fill("Hopper");
    await p.getByLabel("Email").fill("grace@example.com");
    await p.getByLabel("Why are you coming? (optional)").fill("To learn");
    await p.getByRole("button", { name: "Register" }).click();
    // Required, unanswered: flagged at the question, with its message linked to it.
    const firstDiet = p.getByRole("radio", { name: "Vegetarian" });
    assert.equal(await firstDiet.getAttribute("aria-invalid"), "true");
    const rules = p.getByRole("checkbox", { name: "I accept the house rules" });
    const describedBy = (await rules.getAttribute("aria-describedby")) ?? "";
    assert.equal(await text(p.locator(`[id="${describedBy}"]`)), "Please fill in this field.");
    await p.getByRole("radio", { name: "Vegan" }).check();
    await rules.check();
    await shot(p, "public-registration-questions");
    await p.getByRole("button", { name: "Register" }).click();
    await p.getByRole("heading", { name: "Check your email" }).waitFor();

    const event = await apiGet(page, `/api/v1/events/${state.eventId}`);
    const [why, diet, houseRules] = event.registrationQuestions;
    const list = await apiGet(page, `/api/v1/events/${state.eventId}/registrations`);
    const grace = list.data.find(
      (r: { contact: { email: string } }) => r.contact.email === "grace@example.com",
    );
    assert.deepEqual(grace.answers, {
      [why.id]: "To learn",
      [diet.id]: diet.options.find((o: { label: string }) => o.label === "Vegan").id,
      [houseRules.id]: true,
    });
    const csv = await page.request.get(`${stack.baseUrl}/api/v1/events/${state.eventId}/registrations.csv`);
    const [header, row] = (await csv.text()).trim().split("\r\n");
    assert.match(header ?? "", /,Why are you coming\?,Diet,I accept the house rules$/);
    assert.match(row ?? "", /,To learn,Vegan,yes$/);
    await visitor.close();
  });
});
