import { type FormEvent, useRef, useState } from "react";
import { useParams } from "react-router";
import { ApiError, api } from "../api/client.ts";
import type { Answer, PublicEvent } from "../api/types.ts";
import { Field } from "../components/field.tsx";
import { PublicFrame } from "../components/public-frame.tsx";
import { answerField, QuestionInputs, unanswered } from "../components/question-inputs.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { type MessageKey, useI18n } from "../i18n/index.tsx";
import { campaignFromPage } from "../lib/campaign.ts";
import { useLoad } from "../lib/use-load.ts";

const TEXT_FIELDS = ["firstName", "lastName", "email", "company", "jobTitle"] as const;
type TextField = (typeof TEXT_FIELDS)[number];
const AUTOCOMPLETE: Record<TextField, string> = {
  firstName: "given-name",
  lastName: "family-name",
  email: "email",
  company: "organization",
  jobTitle: "organization-title",
};

/** `/e/{slug}`: the public registration form, with only the fields the event asks for. */
export function PublicRegistrationPage() {
  const { slug = "" } = useParams();
  const { t } = useI18n();
  const loaded = useLoad(() => api.publicEvent(slug), [slug]);
  if (loaded.error)
    return (
      <PublicFrame>
        {loaded.error instanceof ApiError && loaded.error.status === 404 ? (
          <p role="alert">{t("public.notFound")}</p>
        ) : (
          <ErrorNote error={loaded.error} onRetry={loaded.reload} />
        )}
      </PublicFrame>
    );
  return <PublicFrame>{loaded.data ? <RegistrationForm event={loaded.data} /> : <Loading />}</PublicFrame>;
}

function RegistrationForm({ event }: { event: PublicEvent }) {
  const { t, dateTime } = useI18n();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [sessionIds, setSessionIds] = useState<string[]>([]);
  const [consent, setConsent] = useState(false);
  const [answers, setAnswers] = useState<Record<string, Answer>>({});
  const questions = event.questions ?? [];
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>();
  // The answer is the same for every address; what follows arrives by email.
  const [submitted, setSubmitted] = useState(false);
  // Where the visitor came from, as the page opened (lib/campaign.ts).
  const [campaign] = useState(() => campaignFromPage(window.location.search, document.referrer));
  const asked = TEXT_FIELDS.filter((f) => event.fields[f] !== undefined);
  const open = event.registrationState ? event.registrationState === "open" : event.registrationOpen;

  function focusFirstError() {
    requestAnimationFrame(() => form.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus());
  }
  async function submit(e: FormEvent) {
    e.preventDefault();
    setFailure(undefined);
    const missing: Record<string, string> = {};
    for (const f of asked)
      if (event.fields[f] === "required" && !values[f]?.trim()) missing[f] = t("public.fieldRequired");
    for (const q of questions)
      if (q.required && unanswered(answers[q.id])) missing[answerField(q)] = t("public.fieldRequired");
    if (event.consentText && !consent) missing.consent = t("public.fieldRequired");
    setErrors(missing);
    if (Object.keys(missing).length > 0) return focusFirstError();
    try {
      const body: Record<string, unknown> = { sessionIds };
      for (const f of asked) if (values[f]) body[f] = values[f];
      if (event.consentText) body.consent = consent;
      if (questions.length > 0) body.answers = answers;
      if (campaign) body.campaign = campaign;
      await api.publicRegister(event.slug, body);
      setSubmitted(true);
    } catch (err) {
      if (err instanceof ApiError && err.field) {
        setErrors({ [err.field]: err.message });
        focusFirstError();
      } else setFailure(err);
    }
  }
  return (
    <article>
      <h1>{event.title}</h1>
      <p>
        {t("public.when", {
          start: dateTime(event.startsAt, event.timeZone),
          end: dateTime(event.endsAt, event.timeZone),
          zone: event.timeZone,
        })}
      </p>
      {event.description && <p className="description">{event.description}</p>}
      {submitted ? (
        <div role="status">
          <h2>{t("public.checkEmailTitle")}</h2>
          <p>{t("public.checkEmail")}</p>
        </div>
      ) : !open ? (
        <p role="alert">{t("public.closed")}</p>
      ) : (
        <form ref={form} onSubmit={submit} noValidate className="form-grid">
          {event.capacity?.waitlist && <p className="muted">{t("public.waitlisted")}</p>}
          {Object.keys(errors).length > 0 && <p role="alert">{t("public.fixErrors")}</p>}
          {asked.map((f) => (
            <Field
              key={f}
              label={`${t(`public.${f}` as MessageKey)}${event.fields[f] === "optional" ? ` (${t("common.optional")})` : ""}`}
              error={errors[f]}
            >
              {(p) => (
                <input
                  {...p}
                  name={f}
                  type={f === "email" ? "email" : "text"}
                  autoComplete={AUTOCOMPLETE[f]}
                  required={event.fields[f] === "required"}
                  value={values[f] ?? ""}
                  onChange={(e) => setValues({ ...values, [f]: e.target.value })}
                />
              )}
            </Field>
          ))}
          <QuestionInputs questions={questions} answers={answers} errors={errors} onChange={setAnswers} />
          {event.sessions.length > 0 && (
            <fieldset>
              <legend>{t("public.sessions")}</legend>
              {event.sessions.map((s) => (
                <label key={s.id} className="inline">
                  <input
                    type="checkbox"
                    checked={sessionIds.includes(s.id)}
                    onChange={(e) =>
                      setSessionIds(
                        e.target.checked ? [...sessionIds, s.id] : sessionIds.filter((x) => x !== s.id),
                      )
                    }
                  />
                  {s.title} — {dateTime(s.startsAt, event.timeZone)}
                </label>
              ))}
            </fieldset>
          )}
          {event.consentText && (
            <div className="field">
              <p id="consent-text">{event.consentText}</p>
              <label className="inline">
                <input
                  type="checkbox"
                  name="consent"
                  checked={consent}
                  aria-describedby={errors.consent ? "consent-text consent-error" : "consent-text"}
                  aria-invalid={errors.consent ? true : undefined}
                  onChange={(e) => setConsent(e.target.checked)}
                />
                {t("public.consent")}
              </label>
              {errors.consent && (
                <small id="consent-error" className="field-error">
                  {errors.consent}
                </small>
              )}
            </div>
          )}
          {failure !== undefined && <ErrorNote error={failure} />}
          <button type="submit" className="primary">
            {t("public.register")}
          </button>
        </form>
      )}
    </article>
  );
}
