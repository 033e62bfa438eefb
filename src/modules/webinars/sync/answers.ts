import type { RegistrationQuestionRecord } from "../../../db/schema.ts";
import type { RegistrantAnswer, RegistrationQuestionSpec } from "../../../providers/contract.ts";

/**
 * Our questions and answers in the providers' terms: labels instead of our ids, since a
 * provider matches an answer to its question by the question's text (Zoom `title`, GoTo
 * `question`, ON24 field caption). docs/registration-questions.md.
 */
export function questionSpecs(questions: RegistrationQuestionRecord[]): RegistrationQuestionSpec[] {
  return questions.map((q) => ({
    label: q.label,
    type: q.type,
    required: q.required,
    options: q.options.map((o) => o.label),
    maxLength: q.maxLength,
  }));
}

export function providerAnswers(
  questions: RegistrationQuestionRecord[],
  answers: Record<string, string | string[] | boolean>,
): RegistrantAnswer[] {
  const out: RegistrantAnswer[] = [];
  for (const q of questions) {
    const answer = answers[q.id];
    if (answer === undefined) continue;
    const label = (id: string) => q.options.find((o) => o.id === id)?.label ?? id;
    const value =
      q.type === "single_choice" && typeof answer === "string"
        ? label(answer)
        : Array.isArray(answer)
          ? answer.map(label)
          : answer;
    out.push({ question: q.label, type: q.type, value, on24Field: q.on24Field });
  }
  return out;
}
