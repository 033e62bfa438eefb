/**
 * Registration questions at Zoom (field names from @zoom/rivet meetings.d.ts):
 * the webinar's `custom_questions` are set with PATCH /webinars/{id}/registrants/questions
 * (WebinarsUpdateRegistrationQuestionsRequestBody), and a registrant's answers travel as
 * `custom_questions: [{title, value}]` on POST /webinars/{id}/registrants
 * (WebinarsAddWebinarRegistrantRequestBody), matched to the question by its title.
 * docs/registration-questions.md, "Zoom".
 */
import type { RegistrantAnswer, RegistrationQuestionSpec } from "../contract.ts";

type ZoomQuestionType = "short" | "single_radio" | "single_dropdown" | "multiple";

const ZOOM_TYPE: Record<RegistrationQuestionSpec["type"], ZoomQuestionType> = {
  text: "short",
  single_choice: "single_radio",
  multiple_choice: "multiple",
  // Zoom has no checkbox: a yes/no choice carries it.
  checkbox: "single_radio",
};
const YES = "Yes";
const NO = "No";

/** Zoom's standard questions we fill from the contact, kept asked when the list is replaced. */
const STANDARD_QUESTIONS = [
  { field_name: "last_name", required: false },
  { field_name: "org", required: false },
  { field_name: "job_title", required: false },
];

export function registrationQuestionsBody(questions: RegistrationQuestionSpec[]) {
  return {
    questions: STANDARD_QUESTIONS,
    custom_questions: questions.map((q) => ({
      title: q.label,
      type: ZOOM_TYPE[q.type],
      required: q.required,
      ...(q.type === "checkbox" ? { answers: [YES, NO] } : q.options.length > 0 && { answers: q.options }),
    })),
  };
}

/** Several chosen options as one value: Zoom's value is a single string. */
export const MULTIPLE_SEPARATOR = ", ";

export function customQuestionAnswers(answers: RegistrantAnswer[] | undefined) {
  return (answers ?? []).map((a) => ({
    title: a.question,
    value:
      typeof a.value === "boolean"
        ? a.value
          ? YES
          : NO
        : Array.isArray(a.value)
          ? a.value.join(MULTIPLE_SEPARATOR)
          : a.value,
  }));
}
