import { type FormEvent, useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { ApiError, api } from "../api/client.ts";
import type { EventFormat, EventInput, EventItem, RegistrationFields } from "../api/types.ts";
import { Field } from "../components/field.tsx";
import {
  type QuestionDraft,
  QuestionsEditor,
  toDraft,
  toQuestionInput,
} from "../components/questions-editor.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n, viewerTimeZone } from "../i18n/index.tsx";
import { loadProviders } from "../lib/providers.ts";
import { timeZones, wallClockToInstant } from "../lib/time.ts";
import { useLoad } from "../lib/use-load.ts";

const FORMATS: EventFormat[] = ["onsite", "webinar", "hybrid"];
type Ask = "" | "optional" | "required";

interface FormState {
  title: string;
  description: string;
  format: EventFormat;
  timeZone: string;
  startsAt: string;
  endsAt: string;
  capacity: string;
  opensAt: string;
  closesAt: string;
  company: Ask;
  jobTitle: Ask;
  consentText: string;
  questions: QuestionDraft[];
  webinarConfigurationId: string;
  webinarType: string;
}

const wall = (local: string | null) => (local ? local.slice(0, 16) : "");

function fromEvent(e: EventItem): FormState {
  return {
    title: e.title,
    description: e.description,
    format: e.format,
    timeZone: e.timeZone,
    startsAt: wall(e.startsAtLocal),
    endsAt: wall(e.endsAtLocal),
    capacity: e.capacity === null ? "" : String(e.capacity),
    // The API gives the window as instants; the form edits instants as given (ISO, UTC).
    opensAt: e.registrationOpensAt ?? "",
    closesAt: e.registrationClosesAt ?? "",
    company: e.registrationFields.company ?? "",
    jobTitle: e.registrationFields.jobTitle ?? "",
    consentText: e.consentText ?? "",
    questions: (e.registrationQuestions ?? []).map(toDraft),
    webinarConfigurationId: e.webinarConfigurationId ?? "",
    webinarType: e.webinarType ?? "",
  };
}

const EMPTY: FormState = {
  title: "",
  description: "",
  format: "onsite",
  timeZone: viewerTimeZone(),
  startsAt: "",
  endsAt: "",
  capacity: "",
  opensAt: "",
  closesAt: "",
  company: "",
  jobTitle: "",
  consentText: "",
  questions: [],
  webinarConfigurationId: "",
  webinarType: "",
};

function toInput(f: FormState): EventInput {
  const fields: RegistrationFields = {};
  if (f.company) fields.company = f.company;
  if (f.jobTitle) fields.jobTitle = f.jobTitle;
  // Wall-clock input is read in the event's zone by the API; a stored instant is sent back as is.
  const orNull = (v: string) => v || null;
  return {
    title: f.title,
    description: f.description,
    format: f.format,
    timeZone: f.timeZone,
    startsAt: f.startsAt,
    endsAt: f.endsAt,
    capacity: f.capacity === "" ? null : Number(f.capacity),
    registrationOpensAt: orNull(f.opensAt),
    registrationClosesAt: orNull(f.closesAt),
    registrationFields: fields,
    registrationQuestions: f.questions.map(toQuestionInput),
    consentText: f.consentText || null,
    webinarConfigurationId: f.format === "onsite" ? null : f.webinarConfigurationId || null,
    webinarType: f.format === "onsite" || !f.webinarConfigurationId ? null : f.webinarType || null,
  };
}

/** Create and edit an event; times are typed as wall-clock times in the event's own zone. */
export function EventFormPage() {
  const { id } = useParams();
  const { t, dateTime } = useI18n();
  const navigate = useNavigate();
  const [form, setForm] = useState<FormState | null>(id ? null : EMPTY);
  const [error, setError] = useState<unknown>();
  const existing = useLoad(async () => (id ? api.event(id) : null), [id]);
  const configs = useLoad(() => api.configurations(), []);
  const providers = useLoad(loadProviders, []);
  useEffect(() => {
    if (existing.data) setForm(fromEvent(existing.data));
  }, [existing.data]);
  if (existing.error) return <ErrorNote error={existing.error} />;
  if (!form) return <Loading />;
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm({ ...form, [key]: value });
  const fieldError = (name: string) =>
    error instanceof ApiError && error.field?.startsWith(name) ? error.message : undefined;
  const exactError = (name: string) =>
    error instanceof ApiError && error.field === name ? error.message : undefined;
  const viewerZone = viewerTimeZone();
  // The chosen account's provider decides which webinar types exist (none: the provider's default).
  const chosenKind = configs.data?.data.find((c) => c.id === form.webinarConfigurationId)?.provider;
  const webinarTypes = providers.data?.find((p) => p.kind === chosenKind)?.webinarTypes ?? [];
  const preview = (local: string) => {
    const instant = wallClockToInstant(local, form.timeZone);
    return instant
      ? t("event.form.viewerTime", { zone: viewerZone, time: dateTime(instant.toISOString()) })
      : undefined;
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!form) return;
    setError(undefined);
    try {
      const saved = id ? await api.updateEvent(id, toInput(form)) : await api.createEvent(toInput(form));
      navigate(`/events/${saved.id}`);
    } catch (err) {
      setError(err);
    }
  }
  const asks: Ask[] = ["", "optional", "required"];
  const askLabel = (a: Ask) => (a === "" ? t("common.notAsked") : t(`common.${a}`));
  return (
    <section aria-labelledby="event-form-title">
      <h1 id="event-form-title">{id ? t("event.form.editTitle") : t("event.form.createTitle")}</h1>
      <form onSubmit={submit} noValidate className="form-grid">
        <Field label={t("event.form.title")} error={fieldError("title")}>
          {(p) => <input {...p} required value={form.title} onChange={(e) => set("title", e.target.value)} />}
        </Field>
        <Field label={t("event.form.description")} error={fieldError("description")}>
          {(p) => (
            <textarea
              {...p}
              rows={3}
              value={form.description}
              onChange={(e) => set("description", e.target.value)}
            />
          )}
        </Field>
        <fieldset>
          <legend>{t("event.form.format")}</legend>
          {FORMATS.map((f) => (
            <label key={f} className="inline">
              <input
                type="radio"
                name="format"
                value={f}
                checked={form.format === f}
                onChange={() => set("format", f)}
              />
              {t(`format.${f}`)}
            </label>
          ))}
        </fieldset>
        {form.format !== "onsite" && (
          <Field label={t("event.form.webinarConfiguration")} error={fieldError("webinarConfigurationId")}>
            {(p) => (
              <select
                {...p}
                value={form.webinarConfigurationId}
                onChange={(e) =>
                  setForm({ ...form, webinarConfigurationId: e.target.value, webinarType: "" })
                }
              >
                <option value="">{t("event.form.noConfiguration")}</option>
                {configs.data?.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.provider})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {form.format !== "onsite" && webinarTypes.length > 0 && (
          <Field label={t("event.form.webinarType")} error={fieldError("webinarType")}>
            {(p) => (
              <select {...p} value={form.webinarType} onChange={(e) => set("webinarType", e.target.value)}>
                <option value="">{t("event.form.defaultType")}</option>
                {webinarTypes.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field label={t("event.form.timeZone")} error={fieldError("timeZone")}>
          {(p) => (
            <select {...p} value={form.timeZone} onChange={(e) => set("timeZone", e.target.value)}>
              {timeZones().map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("event.form.startsAt")} error={fieldError("startsAt")} hint={preview(form.startsAt)}>
          {(p) => (
            <input
              {...p}
              type="datetime-local"
              required
              value={form.startsAt}
              onChange={(e) => set("startsAt", e.target.value)}
            />
          )}
        </Field>
        <Field label={t("event.form.endsAt")} error={fieldError("endsAt")} hint={preview(form.endsAt)}>
          {(p) => (
            <input
              {...p}
              type="datetime-local"
              required
              value={form.endsAt}
              onChange={(e) => set("endsAt", e.target.value)}
            />
          )}
        </Field>
        <Field label={t("event.form.capacity")} error={fieldError("capacity")}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              inputMode="numeric"
              value={form.capacity}
              onChange={(e) => set("capacity", e.target.value)}
            />
          )}
        </Field>
        <Field label={t("event.form.opensAt")} error={fieldError("registrationOpensAt")}>
          {(p) => (
            <input
              {...p}
              type={form.opensAt.length > 16 ? "text" : "datetime-local"}
              value={form.opensAt}
              onChange={(e) => set("opensAt", e.target.value)}
            />
          )}
        </Field>
        <Field label={t("event.form.closesAt")} error={fieldError("registrationClosesAt")}>
          {(p) => (
            <input
              {...p}
              type={form.closesAt.length > 16 ? "text" : "datetime-local"}
              value={form.closesAt}
              onChange={(e) => set("closesAt", e.target.value)}
            />
          )}
        </Field>
        {(["company", "jobTitle"] as const).map((name) => (
          <Field key={name} label={t(`event.form.${name}`)} error={fieldError(`registrationFields.${name}`)}>
            {(p) => (
              <select {...p} value={form[name]} onChange={(e) => set(name, e.target.value as Ask)}>
                {asks.map((a) => (
                  <option key={a} value={a}>
                    {askLabel(a)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ))}
        <QuestionsEditor drafts={form.questions} onChange={(q) => set("questions", q)} errorAt={exactError} />
        <Field label={t("event.form.consent")} error={fieldError("consentText")}>
          {(p) => (
            <textarea
              {...p}
              rows={2}
              value={form.consentText}
              onChange={(e) => set("consentText", e.target.value)}
            />
          )}
        </Field>
        {error !== undefined && <ErrorNote error={error} />}
        <div className="row">
          <button type="submit" className="primary">
            {id ? t("common.save") : t("event.form.submitCreate")}
          </button>
          <button type="button" onClick={() => navigate(-1)}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}
