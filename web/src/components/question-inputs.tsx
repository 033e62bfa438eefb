import type { Answer, RegistrationQuestion } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Field } from "./field.tsx";

/** Where a question's error is kept: the field the API names (`answers.<id>`). */
export const answerField = (q: RegistrationQuestion) => `answers.${q.id}`;

/** Whether a required question is left unanswered (an unticked required checkbox is too). */
export function unanswered(answer: Answer | undefined): boolean {
  if (answer === undefined || answer === false) return true;
  if (typeof answer === "string") return answer.trim() === "";
  return Array.isArray(answer) && answer.length === 0;
}

/**
 * The event's own questions on the public page, each with its error next to it (linked by
 * aria-describedby). Labels are the organiser's, in the event's language.
 */
export function QuestionInputs({
  questions,
  answers,
  errors,
  onChange,
}: {
  questions: RegistrationQuestion[];
  answers: Record<string, Answer>;
  errors: Record<string, string>;
  onChange: (next: Record<string, Answer>) => void;
}) {
  const { t } = useI18n();
  const set = (q: RegistrationQuestion, value: Answer) => onChange({ ...answers, [q.id]: value });
  const suffix = (q: RegistrationQuestion) => (q.required ? "" : ` (${t("common.optional")})`);
  return (
    <>
      {questions.map((q) => {
        const error = errors[answerField(q)];
        const errorId = `answer-${q.id}-error`;
        const invalid = error ? { "aria-invalid": true as const, "aria-describedby": errorId } : {};
        const errorNote = error && (
          <small id={errorId} className="field-error">
            {error}
          </small>
        );
        if (q.type === "text")
          return (
            <Field key={q.id} label={`${q.label}${suffix(q)}`} error={error}>
              {(p) => (
                <input
                  {...p}
                  name={answerField(q)}
                  required={q.required}
                  maxLength={q.maxLength ?? undefined}
                  value={(answers[q.id] as string | undefined) ?? ""}
                  onChange={(e) => set(q, e.target.value)}
                />
              )}
            </Field>
          );
        if (q.type === "checkbox")
          return (
            <div key={q.id} className="field">
              <label className="inline">
                <input
                  type="checkbox"
                  name={answerField(q)}
                  checked={answers[q.id] === true}
                  required={q.required}
                  {...invalid}
                  onChange={(e) => set(q, e.target.checked)}
                />
                {`${q.label}${suffix(q)}`}
              </label>
              {errorNote}
            </div>
          );
        const multiple = q.type === "multiple_choice";
        const chosen = answers[q.id];
        return (
          <fieldset key={q.id} {...(error && { "aria-describedby": errorId })}>
            <legend>{`${q.label}${suffix(q)}`}</legend>
            {q.options.map((o, i) => (
              <label key={o.id} className="inline">
                <input
                  type={multiple ? "checkbox" : "radio"}
                  name={answerField(q)}
                  value={o.id}
                  checked={multiple ? Array.isArray(chosen) && chosen.includes(o.id) : chosen === o.id}
                  {...(i === 0 && invalid)}
                  onChange={(e) => {
                    if (!multiple) return set(q, o.id);
                    const list = Array.isArray(chosen) ? chosen : [];
                    set(q, e.target.checked ? [...list, o.id] : list.filter((x) => x !== o.id));
                  }}
                />
                {o.label}
              </label>
            ))}
            {errorNote}
          </fieldset>
        );
      })}
    </>
  );
}
