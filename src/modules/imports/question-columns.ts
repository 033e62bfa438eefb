import type { RegistrationQuestionRecord } from "../../db/schema.ts";
import { answerText } from "../events/registration-questions.ts";
import { guardCell } from "./imports.csv.ts";

/**
 * The registrations CSV's question columns: one per question of the event, in its order,
 * after the fixed columns; the header is the question's label, a cell the answer as people
 * read it (option labels, yes/no). An import of such a file ignores these columns.
 */
export function questionColumns(questions: RegistrationQuestionRecord[]) {
  return {
    header: questions.map((q) => guardCell(q.label)),
    cells: (answers: Record<string, string | string[] | boolean>) =>
      questions.map((q) => guardCell(answerText(q, answers[q.id]))),
  };
}

/** Header names an import of the event's own export skips: its question labels. */
export const questionHeaders = (questions: RegistrationQuestionRecord[]) => questions.map((q) => q.label);
