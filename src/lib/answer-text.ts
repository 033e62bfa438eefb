import type { RegistrationQuestionRecord } from "../db/schema.ts";

/**
 * A registration-question answer as people read it: text as given, options by label (several
 * joined by "; "), a checkbox as yes/no, "" when unanswered. Shared by the CSV export and the
 * personal-data export (docs/registration-questions.md).
 */
export function answerText(
  q: Pick<RegistrationQuestionRecord, "type" | "options">,
  answer: string | string[] | boolean | undefined,
): string {
  if (answer === undefined) return "";
  if (typeof answer === "boolean") return answer ? "yes" : "no";
  if (q.type === "text") return String(answer);
  const ids = Array.isArray(answer) ? answer : [answer];
  return ids.map((id) => q.options.find((o) => o.id === id)?.label ?? id).join("; ");
}
