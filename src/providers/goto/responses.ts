/**
 * Registration-question answers as GoTo `responses` (RegistrantQAResponse in
 * specs/goto-webinar/openapi.yml): `{questionKey, responseText}` for a shortAnswer question,
 * `{questionKey, answerKey}` for a multipleChoice one. GoTo's API cannot create a webinar's
 * questions (the organizer sets them on GoTo's site); an answer goes to the webinar's question
 * with the same text. docs/registration-questions.md, "GoTo".
 */
import type { RegistrantAnswer } from "../contract.ts";
import { invalid } from "./mapping.ts";
import type { GotoRegistrationQuestion } from "./schemas.ts";

export interface GotoResponse {
  questionKey: bigint;
  responseText?: string;
  answerKey?: bigint;
}

const norm = (s: string) => s.trim().toLowerCase();

/** An answer's words: text, option labels, a checkbox as Yes or No. */
function words(answer: RegistrantAnswer): string[] {
  if (typeof answer.value === "boolean") return [answer.value ? "Yes" : "No"];
  return Array.isArray(answer.value) ? answer.value : [answer.value];
}

/**
 * The responses for GoTo's create-registrant call. A question GoTo requires and we cannot
 * answer, or an answer GoTo could not take (too long, not among its choices, several choices
 * for its single-answer multiple choice), is `invalid` for a required question — GoTo would
 * answer 400 anyway, less clearly — and left out for an optional one.
 */
export function gotoResponses(
  answers: RegistrantAnswer[] | undefined,
  questions: GotoRegistrationQuestion[],
): GotoResponse[] {
  const out: GotoResponse[] = [];
  for (const q of questions) {
    const answer = (answers ?? []).find((a) => norm(a.question) === norm(q.question));
    const response = answer ? toResponse(q, words(answer)) : null;
    if (response) out.push(response);
    else if (q.required)
      throw invalid(
        answer
          ? `GoTo cannot take the answer to its required question "${q.question}"`
          : `GoTo webinar requires the question "${q.question}", which the event does not ask or was not answered`,
      );
  }
  return out;
}

function toResponse(q: GotoRegistrationQuestion, given: string[]): GotoResponse | null {
  const questionKey = BigInt(q.questionKey);
  if (q.type === "multipleChoice") {
    if (given.length !== 1) return null;
    const hit = q.answers?.find((a) => norm(a.answer) === norm(given[0] ?? ""));
    return hit ? { questionKey, answerKey: BigInt(hit.answerKey) } : null;
  }
  const text = given.join(", ");
  if (q.maxSize !== undefined && Array.from(text).length > q.maxSize) return null;
  return { questionKey, responseText: text };
}
