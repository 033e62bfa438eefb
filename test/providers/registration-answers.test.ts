// Registration-question answers through the REAL sync engine to the ON24, Zoom and GoTo
// simulators over HTTP (docs/registration-questions.md): each provider receives them in its
// own terms, and its simulator stores (and checks) them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";
import { GOTO_ACCOUNT, sim as gotoSim, startGoto } from "../simulators/goto-harness.ts";
import { startZoomSim, ZOOM_TEST_ACCOUNT } from "../simulators/zoom-harness.ts";
import { ON24_ACCOUNT, startSimulator as startOn24, waitUntil } from "../webinars/fixtures.ts";

const on24 = await startOn24();
const zoom = await startZoomSim();
const goto = await startGoto();
testEnv.AUDITORIUM_ON24_NA_URL = on24.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = on24.baseUrls.EU;
testEnv.AUDITORIUM_ZOOM_API_URL = zoom.apiUrl;
testEnv.AUDITORIUM_ZOOM_OAUTH_URL = zoom.oauthUrl;
testEnv.AUDITORIUM_GOTO_API_URL = goto.apiUrl;
testEnv.AUDITORIUM_GOTO_AUTH_URL = goto.authUrl;
testEnv.AUDITORIUM_SYNC_MAX_ATTEMPTS = "3";
after(async () => {
  await Promise.all([on24.close(), zoom.close(), goto.close()]);
});

const questions = [
  {
    id: "diet",
    type: "single_choice",
    label: "Kosthold",
    required: true,
    options: [
      { id: "veg", label: "Vegetar" },
      { id: "none", label: "Ingen" },
    ],
  },
  {
    id: "topics",
    type: "multiple_choice",
    label: "Tema",
    options: [
      { id: "ai", label: "KI" },
      { id: "web", label: "Web" },
    ],
  },
  { id: "why", type: "text", label: "Hvorfor", on24Field: "std1" },
  { id: "terms", type: "checkbox", label: "Vilkår", required: true },
];
const answers = { diet: "veg", topics: ["ai", "web"], why: "Lære", terms: true };

async function registerAndSync(ctx: TestContext, org: TestOrg, eventId: string, email: string) {
  const res = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
    token: org.tokens.marketer,
    body: { contact: { firstName: "Ada", lastName: "Lovelace", email }, answers },
  });
  assert.equal(res.status, 201, res.text);
  return waitUntil(`${email} synced`, async () => {
    const reg = await ctx.request("GET", `/api/v1/registrations/${res.body.id}`, {
      token: org.tokens.viewer,
    });
    const link = reg.body.webinar?.[0];
    if (link?.state === "failed") throw new Error(`sync failed: ${link.lastError}`);
    return link?.state === "synced" ? link : undefined;
  });
}

async function provisioned(ctx: TestContext, org: TestOrg, eventId: string): Promise<string> {
  return waitUntil("webinar provisioned", async () => {
    const w = (await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer }))
      .body.data[0];
    return w?.state === "provisioned" ? (w.providerWebinarId as string) : undefined;
  });
}

forEachBackend("registration answers at the providers", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("answers-org");
    await ctx.services.syncWorker.start();
  });

  test("ON24: answers fill the chosen custom field and the standard field whose caption is the question", async () => {
    const { eventId } = await webinarEvent(ctx, org, {
      provider: "on24",
      name: "ON24",
      settings: { region: "NA" },
      requestsPerSecond: 200,
      credentials: ON24_ACCOUNT,
      event: { registrationQuestions: questions },
    });
    const webinarId = await provisioned(ctx, org, eventId);
    // The event's registration page at ON24: a required list field captioned like our question.
    const page = await fetch(`${on24.url}/_sim/events/${webinarId}/regfields`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { fieldid: "firstname", fieldcaption: "First Name", required: "Y" },
        { fieldid: "lastname", fieldcaption: "Last Name", required: "Y" },
        { fieldid: "email", fieldcaption: "Email", required: "Y", validationtype: "email" },
        {
          fieldid: "job_function",
          fieldcaption: "Kosthold",
          fieldtype: "listbox",
          required: "Y",
          options: ["Vegetar", "Ingen"],
        },
        { fieldid: "std2", fieldcaption: "Vilkår", required: "N" },
      ]),
    });
    assert.equal(page.status, 200, await page.text());
    await registerAndSync(ctx, org, eventId, "ada.on24@example.com");
    const held = [...on24.state.registrants.values()].find((r) => r.fields.email === "ada.on24@example.com");
    assert.ok(held, "the registrant reached ON24");
    assert.equal(held.fields.jobfunction, "Vegetar", "standard field by caption, a listbox option");
    assert.equal(held.fields.std1, "Lære", "custom field chosen by on24Field");
    assert.equal(held.fields.std2, "Y", "a checkbox as ON24's Y");
    // "Tema" has no field on the page: ON24 takes no free-form answers, so it is not sent.
    assert.equal(Object.values(held.fields).includes("KI, Web"), false);
  });

  test("Zoom: the webinar's custom questions are set, and the answers arrive as custom_questions", async () => {
    const { eventId } = await webinarEvent(ctx, org, {
      provider: "zoom",
      name: "Zoom",
      requestsPerSecond: 200,
      credentials: ZOOM_TEST_ACCOUNT,
      event: { webinarType: "5", registrationQuestions: questions },
    });
    const webinarId = await provisioned(ctx, org, eventId);
    await registerAndSync(ctx, org, eventId, "ada.zoom@example.com");
    const w = zoom.state.webinars.get(Number(webinarId));
    assert.ok(w);
    assert.deepEqual(
      w.customQuestions.map((q) => [q.title, q.type, q.required, q.answers ?? null]),
      [
        ["Kosthold", "single_radio", true, ["Vegetar", "Ingen"]],
        ["Tema", "multiple", false, ["KI", "Web"]],
        ["Hvorfor", "short", false, null],
        ["Vilkår", "single_radio", true, ["Yes", "No"]],
      ],
    );
    const registrant = w.registrants.find((r) => r.email === "ada.zoom@example.com");
    assert.deepEqual(registrant?.customQuestions, [
      { title: "Kosthold", value: "Vegetar" },
      { title: "Tema", value: "KI, Web" },
      { title: "Hvorfor", value: "Lære" },
      { title: "Vilkår", value: "Yes" },
    ]);

    // A changed question list follows the event to Zoom.
    const changed = await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
      token: org.tokens.marketer,
      body: { registrationQuestions: questions.slice(2) },
    });
    assert.equal(changed.status, 200, changed.text);
    await waitUntil("questions updated at Zoom", async () => w.customQuestions.length === 2 || undefined);
  });

  test("GoTo: answers go as responses to the webinar's questions (answerKey for a choice, text otherwise)", async () => {
    const { eventId } = await webinarEvent(ctx, org, {
      provider: "goto",
      name: "GoTo",
      settings: { organizerKey: GOTO_ACCOUNT.organizerKey },
      credentials: {
        clientId: GOTO_ACCOUNT.clientId,
        clientSecret: GOTO_ACCOUNT.clientSecret,
        refreshToken: GOTO_ACCOUNT.refreshToken,
      },
      event: { webinarType: "single_session", registrationQuestions: questions },
    });
    const webinarKey = await provisioned(ctx, org, eventId);
    // The organizer's questions on GoTo's site (its API cannot create them).
    const set = await gotoSim<{
      questions: { questionKey: number; answers?: { answerKey: number; answer: string }[] }[];
    }>(goto, "PUT", `/webinars/${webinarKey}/questions`, [
      { question: "Kosthold", type: "multipleChoice", required: true, answers: ["Vegetar", "Ingen"] },
      { question: "hvorfor", type: "shortAnswer", maxSize: 50 },
      { question: "Tema", type: "shortAnswer", maxSize: 50 },
    ]);
    await registerAndSync(ctx, org, eventId, "ada.goto@example.com");
    const rows = await gotoSim<{ email: string; responses: Record<string, unknown>[] }[]>(
      goto,
      "GET",
      `/webinars/${webinarKey}/registrants/responses`,
    );
    const mine = rows.find((r) => r.email === "ada.goto@example.com");
    const [diet, why, topics] = set.questions;
    assert.deepEqual(mine?.responses, [
      { questionKey: diet?.questionKey, answerKey: diet?.answers?.[0]?.answerKey },
      { questionKey: why?.questionKey, responseText: "Lære" },
      { questionKey: topics?.questionKey, responseText: "KI, Web" },
    ]);
  });
});
