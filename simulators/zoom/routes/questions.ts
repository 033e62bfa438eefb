// Webinar registration questions: list and update (Light), field names and enums from the SDK's
// WebinarsListRegistrationQuestionsResponse / WebinarsUpdateRegistrationQuestionsRequestBody,
// and the registrant's `custom_questions: [{title, value}]` (WebinarsAddWebinarRegistrantRequestBody).
import { invalidField, type RouteCtx, type RouteDef } from "../http.ts";
import type { SimCustomAnswer, SimCustomQuestion, SimStandardQuestion } from "../types.ts";
import { asBody, liveWebinar } from "./webinars.ts";

const CUSTOM_TYPES = new Set(["short", "single_radio", "single_dropdown", "multiple"]);
const STANDARD_FIELDS = new Set([
  "last_name",
  "address",
  "city",
  "country",
  "zip",
  "state",
  "phone",
  "industry",
  "org",
  "job_title",
  "purchasing_time_frame",
  "role_in_purchase_process",
  "no_of_employees",
  "comments",
]);

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function customQuestions(raw: unknown): SimCustomQuestion[] {
  if (!Array.isArray(raw)) throw invalidField("custom_questions");
  return raw.map((item, i) => {
    const q = asBody(item);
    const at = `custom_questions[${i}]`;
    if (typeof q.title !== "string" || q.title.trim() === "") throw invalidField(`${at}.title`);
    if (typeof q.type !== "string" || !CUSTOM_TYPES.has(q.type)) throw invalidField(`${at}.type`);
    if (q.required !== undefined && typeof q.required !== "boolean") throw invalidField(`${at}.required`);
    if (q.answers !== undefined && !isStringList(q.answers)) throw invalidField(`${at}.answers`);
    // A choice offers answers to choose from; a short answer has none.
    const choice = q.type !== "short";
    if (choice && (!q.answers || q.answers.length === 0)) throw invalidField(`${at}.answers`);
    return {
      title: q.title,
      type: q.type as SimCustomQuestion["type"],
      required: q.required === true,
      ...(choice && { answers: q.answers as string[] }),
    };
  });
}

function standardQuestions(raw: unknown): SimStandardQuestion[] {
  if (!Array.isArray(raw)) throw invalidField("questions");
  return raw.map((item, i) => {
    const q = asBody(item);
    if (typeof q.field_name !== "string" || !STANDARD_FIELDS.has(q.field_name))
      throw invalidField(`questions[${i}].field_name`);
    if (q.required !== undefined && typeof q.required !== "boolean")
      throw invalidField(`questions[${i}].required`);
    return { field_name: q.field_name, required: q.required === true };
  });
}

/**
 * A registrant's answers, checked against the webinar's questions: a title it does not ask is
 * refused, a choice must be one of its answers (several, for `multiple`, joined by ", "), and
 * a required question must be answered. The SDK types define the shapes; these checks are
 * the simulator's reading of Zoom's registration form (README, "What it does not honour").
 */
export function registrantAnswers(raw: unknown, asked: SimCustomQuestion[]): SimCustomAnswer[] {
  if (raw === undefined) raw = [];
  if (!Array.isArray(raw)) throw invalidField("custom_questions");
  const out = raw.map((item, i) => {
    const a = asBody(item);
    if (typeof a.title !== "string") throw invalidField(`custom_questions[${i}].title`);
    if (typeof a.value !== "string" || a.value.length > 128)
      throw invalidField(`custom_questions[${i}].value`);
    const q = asked.find((x) => x.title === a.title);
    if (!q) throw invalidField(`custom_questions[${i}].title`);
    const values = q.type === "multiple" ? a.value.split(", ") : [a.value];
    if (q.answers && values.some((v) => !q.answers?.includes(v)))
      throw invalidField(`custom_questions[${i}].value`);
    return { title: a.title, value: a.value };
  });
  for (const q of asked) {
    if (q.required && !out.some((a) => a.title === q.title && a.value !== ""))
      throw invalidField("custom_questions");
  }
  return out;
}

function update(ctx: RouteCtx) {
  const w = liveWebinar(ctx);
  const b = asBody(ctx.body);
  if (b.custom_questions !== undefined) w.customQuestions = customQuestions(b.custom_questions);
  if (b.questions !== undefined) w.standardQuestions = standardQuestions(b.questions);
  return { status: 204 };
}

function list(ctx: RouteCtx) {
  const w = liveWebinar(ctx);
  return { status: 200, body: { questions: w.standardQuestions, custom_questions: w.customQuestions } };
}

export const questionRoutes: RouteDef[] = [
  {
    method: "PATCH",
    path: "/webinars/{webinarId}/registrants/questions",
    category: "light",
    handler: update,
  },
  { method: "GET", path: "/webinars/{webinarId}/registrants/questions", category: "light", handler: list },
];
