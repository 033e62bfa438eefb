import type { QuestionType, RegistrationQuestion, RegistrationQuestionInput } from "../api/types.ts";
import { type MessageKey, useI18n } from "../i18n/index.tsx";
import { Field } from "./field.tsx";

const TYPES: QuestionType[] = ["text", "single_choice", "multiple_choice", "checkbox"];
const isChoice = (type: QuestionType) => type === "single_choice" || type === "multiple_choice";

/** A question as the form edits it: options as lines of text, ids kept for what already exists. */
export interface QuestionDraft {
  id?: string;
  type: QuestionType;
  label: string;
  required: boolean;
  optionsText: string;
  /** The saved options, so an unchanged label keeps its id (and its stored answers). */
  saved: { id: string; label: string }[];
  maxLength: string;
  on24Field: string;
}

export function toDraft(q: RegistrationQuestion): QuestionDraft {
  return {
    id: q.id,
    type: q.type,
    label: q.label,
    required: q.required,
    optionsText: q.options.map((o) => o.label).join("\n"),
    saved: q.options,
    maxLength: q.maxLength === null ? "" : String(q.maxLength),
    on24Field: q.on24Field ?? "",
  };
}

export function toQuestionInput(d: QuestionDraft): RegistrationQuestionInput {
  const options = d.optionsText
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((label) => {
      const id = d.saved.find((o) => o.label === label)?.id;
      return id ? { id, label } : { label };
    });
  return {
    ...(d.id && { id: d.id }),
    type: d.type,
    label: d.label,
    required: d.required,
    ...(isChoice(d.type) && { options }),
    ...(d.type === "text" && d.maxLength !== "" && { maxLength: Number(d.maxLength) }),
    ...(d.on24Field.trim() !== "" && { on24Field: d.on24Field.trim() }),
  };
}

const blank = (): QuestionDraft => ({
  type: "text",
  label: "",
  required: false,
  optionsText: "",
  saved: [],
  maxLength: "",
  on24Field: "",
});

/**
 * The event form's registration questions: add, edit, reorder, remove. An error from the API
 * (`registrationQuestions.2.options`) shows at the question it names.
 */
export function QuestionsEditor({
  drafts,
  onChange,
  errorAt,
}: {
  drafts: QuestionDraft[];
  onChange: (next: QuestionDraft[]) => void;
  errorAt: (field: string) => string | undefined;
}) {
  const { t } = useI18n();
  const update = (i: number, patch: Partial<QuestionDraft>) =>
    onChange(drafts.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const move = (i: number, by: number) => {
    const next = [...drafts];
    const [item] = next.splice(i, 1);
    if (item) next.splice(i + by, 0, item);
    onChange(next);
  };
  return (
    <fieldset className="questions">
      <legend>{t("event.form.questions")}</legend>
      <p className="muted">{t("event.form.questionsHint")}</p>
      {drafts.map((d, i) => {
        const at = `registrationQuestions.${i}`;
        const err = (name: string) => errorAt(`${at}.${name}`);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: drafts have no id until saved; the index is their place
          <div key={i} className="question" data-question={i}>
            <Field
              label={t("event.form.questionLabel", { n: String(i + 1) })}
              error={err("label") ?? errorAt(at) ?? err("id")}
            >
              {(p) => <input {...p} value={d.label} onChange={(e) => update(i, { label: e.target.value })} />}
            </Field>
            <Field label={t("event.form.questionType")} error={err("type")}>
              {(p) => (
                <select
                  {...p}
                  value={d.type}
                  onChange={(e) => update(i, { type: e.target.value as QuestionType })}
                >
                  {TYPES.map((type) => (
                    <option key={type} value={type}>
                      {t(`questionType.${type}` as MessageKey)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {isChoice(d.type) && (
              <Field label={t("event.form.questionOptions")} error={err("options")}>
                {(p) => (
                  <textarea
                    {...p}
                    rows={3}
                    value={d.optionsText}
                    onChange={(e) => update(i, { optionsText: e.target.value })}
                  />
                )}
              </Field>
            )}
            {d.type === "text" && (
              <Field label={t("event.form.questionMaxLength")} error={err("maxLength")}>
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    min={1}
                    max={2000}
                    value={d.maxLength}
                    onChange={(e) => update(i, { maxLength: e.target.value })}
                  />
                )}
              </Field>
            )}
            <Field label={t("event.form.questionOn24Field")} error={err("on24Field")}>
              {(p) => (
                <input
                  {...p}
                  value={d.on24Field}
                  onChange={(e) => update(i, { on24Field: e.target.value })}
                />
              )}
            </Field>
            <label className="inline">
              <input
                type="checkbox"
                checked={d.required}
                onChange={(e) => update(i, { required: e.target.checked })}
              />
              {t("event.form.questionRequired")}
            </label>
            <div className="row">
              <button type="button" disabled={i === 0} onClick={() => move(i, -1)}>
                {t("event.form.moveUp")}
              </button>
              <button type="button" disabled={i === drafts.length - 1} onClick={() => move(i, 1)}>
                {t("event.form.moveDown")}
              </button>
              <button type="button" onClick={() => onChange(drafts.filter((_, j) => j !== i))}>
                {t("event.form.removeQuestion")}
              </button>
            </div>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...drafts, blank()])}>
        {t("event.form.addQuestion")}
      </button>
    </fieldset>
  );
}
