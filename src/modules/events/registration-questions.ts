import { randomBytes } from "node:crypto";
import { z } from "zod";
import { line } from "../../http/schemas.ts";
import { unprocessable } from "../../lib/errors.ts";
import { ON24_ANSWER_FIELDS } from "../../providers/on24/answers.ts";

/**
 * An event's own registration questions (docs/registration-questions.md): their definitions,
 * kept with the event in its language, and the checking of a registrant's answers against them.
 */

export const QUESTION_TYPES = ["text", "single_choice", "multiple_choice", "checkbox"] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** A question or option id: stable once given, so stored answers keep meaning across edits. */
const questionId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/,
    "must be 1-40 letters, digits, _ or -, starting with a letter or digit",
  );

export const DEFAULT_TEXT_MAX_LENGTH = 500;
export const MAX_QUESTIONS = 50;
const MAX_OPTIONS = 50;

const optionInput = z.strictObject({ id: questionId.optional(), label: line(200) });

const questionInput = z.strictObject({
  id: questionId.optional(),
  type: z.enum(QUESTION_TYPES),
  label: line(300),
  required: z.boolean().default(false),
  options: z.array(optionInput).max(MAX_OPTIONS).optional(),
  /** Text questions only: the longest answer taken, in characters (default 500). */
  maxLength: z.number().int().min(1).max(2_000).nullable().optional(),
  /**
   * Which ON24 registration field carries the answer (one of the fields the ON24 adapter sends,
   * on24/answers.ts); absent: the field whose caption is the label.
   */
  on24Field: z.enum(ON24_ANSWER_FIELDS).nullable().optional(),
});

/** The stored and answered form: ids filled in, every key present. */
export const registrationQuestion = z.object({
  id: z.string(),
  type: z.enum(QUESTION_TYPES),
  label: z.string(),
  required: z.boolean(),
  options: z.array(z.object({ id: z.string(), label: z.string() })),
  maxLength: z.number().nullable(),
  on24Field: z.string().nullable(),
});
export type RegistrationQuestion = z.infer<typeof registrationQuestion>;

/**
 * The request form: checked by `parseQuestions` (so every bad definition is a 422 naming its
 * place, such as `registrationQuestions.2.options`), not by the route schema.
 */
export const registrationQuestionsInput = z
  .array(z.unknown())
  .max(MAX_QUESTIONS)
  .describe(
    "The event's registration questions in display order, replacing the current list: {id?, type: text|single_choice|multiple_choice|checkbox, label, required?, options?: [{id?, label}], maxLength?, on24Field?}. Give back an id to keep a question (and its answers); one without an id is new.",
  );

const newId = (prefix: string) => `${prefix}${randomBytes(4).toString("hex")}`;

const FIELD = "registrationQuestions";

function invalid(path: (string | number)[], message: string) {
  const field = [FIELD, ...path].join(".");
  return unprocessable("invalid_question", `${field}: ${message}`, field);
}

/** Checks a submitted list and gives each question and option its stable id. */
export function parseQuestions(input: unknown[]): RegistrationQuestion[] {
  const parsed = z.array(questionInput).max(MAX_QUESTIONS).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === "symbol" ? String(p) : p));
    const keys = issue?.code === "unrecognized_keys" ? issue.keys : [];
    throw invalid(
      [...path, ...keys.slice(0, 1)],
      keys.length ? "unknown field" : (issue?.message ?? "invalid"),
    );
  }
  const seen = new Set<string>();
  const labels = new Set<string>();
  return parsed.data.map((q, i) => {
    const id = q.id ?? newId("q");
    if (seen.has(id)) throw invalid([i, "id"], "two questions have this id");
    seen.add(id);
    // The CSV export names its columns by label: two equal labels would be two equal headers.
    const labelKey = q.label.toLowerCase();
    if (labels.has(labelKey)) throw invalid([i, "label"], "two questions have this label");
    labels.add(labelKey);
    const choice = q.type === "single_choice" || q.type === "multiple_choice";
    if (choice && (!q.options || q.options.length === 0))
      throw invalid([i, "options"], `a ${q.type} question needs at least one option`);
    // What a read answers (`options: []`, `maxLength: null`) goes back in unchanged.
    if (!choice && q.options !== undefined && q.options.length > 0)
      throw invalid([i, "options"], `a ${q.type} question has no options`);
    if (q.type !== "text" && q.maxLength !== undefined && q.maxLength !== null)
      throw invalid([i, "maxLength"], "only a text question has a maximum length");
    const optionIds = new Set<string>();
    const options = (q.options ?? []).map((o, j) => {
      const optionId = o.id ?? newId("o");
      if (optionIds.has(optionId)) throw invalid([i, "options", j, "id"], "two options have this id");
      optionIds.add(optionId);
      return { id: optionId, label: o.label };
    });
    return {
      id,
      type: q.type,
      label: q.label,
      required: q.required,
      options,
      maxLength: q.type === "text" ? (q.maxLength ?? DEFAULT_TEXT_MAX_LENGTH) : null,
      on24Field: q.on24Field ?? null,
    };
  });
}

/** A registrant's answers: question id → text, option id, option ids, or a checkbox's state. */
export type Answer = string | string[] | boolean;
export type Answers = Record<string, Answer>;

/** Shape only; each answer is checked against its question by `checkAnswers`. */
export const answersInput = z
  .record(z.string().max(40), z.unknown())
  .describe(
    "Answers to the event's registration questions by question id: text → string, single_choice → option id, multiple_choice → array of option ids, checkbox → boolean",
  );

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to match them
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Checks answers against the questions; the 422 names the question (`answers.<id>`). A
 * question not answered is left out of the result; an unknown question is refused.
 */
export function checkAnswers(
  questions: RegistrationQuestion[],
  given: Record<string, unknown> = {},
): Answers {
  const byId = new Map(questions.map((q) => [q.id, q]));
  for (const id of Object.keys(given)) {
    if (!byId.has(id))
      throw unprocessable(
        "unknown_question",
        `answers.${id}: this event has no such question`,
        `answers.${id}`,
      );
  }
  const out: Answers = {};
  for (const q of questions) {
    const field = `answers.${q.id}`;
    const fail = (code: string, message: string) => unprocessable(code, `${field}: ${message}`, field);
    const value = given[q.id];
    let answer: Answer | undefined;
    if (value === undefined || value === null) answer = undefined;
    else if (q.type === "text") {
      if (typeof value !== "string") throw fail("wrong_answer_type", `"${q.label}" takes text`);
      const trimmed = value.trim();
      if (CONTROL_CHARS.test(trimmed) || trimmed.includes("\uFFFD"))
        throw fail("invalid_answer", `"${q.label}" must not contain control characters`);
      if (Array.from(trimmed).length > (q.maxLength ?? DEFAULT_TEXT_MAX_LENGTH))
        throw fail("answer_too_long", `"${q.label}" takes at most ${q.maxLength} characters`);
      answer = trimmed === "" ? undefined : trimmed;
    } else if (q.type === "single_choice") {
      if (typeof value !== "string") throw fail("wrong_answer_type", `"${q.label}" takes one option id`);
      if (!q.options.some((o) => o.id === value))
        throw fail("unknown_option", `"${q.label}" has no such option`);
      answer = value;
    } else if (q.type === "multiple_choice") {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
        throw fail("wrong_answer_type", `"${q.label}" takes a list of option ids`);
      const ids = [...new Set(value as string[])];
      if (ids.some((v) => !q.options.some((o) => o.id === v)))
        throw fail("unknown_option", `"${q.label}" has no such option`);
      // Kept in the question's option order, whatever order they came in.
      answer = ids.length === 0 ? undefined : q.options.filter((o) => ids.includes(o.id)).map((o) => o.id);
    } else {
      if (typeof value !== "boolean") throw fail("wrong_answer_type", `"${q.label}" takes true or false`);
      // A required checkbox ("I agree…") is answered only by ticking it.
      answer = value === false && q.required ? undefined : value;
    }
    if (answer === undefined) {
      if (q.required) throw fail("answer_required", `"${q.label}" is required`);
      continue;
    }
    out[q.id] = answer;
  }
  return out;
}

export { answerText } from "../../lib/answer-text.ts";
