import { type FormEvent, useEffect, useState } from "react";
import { ApiError, api } from "../api/client.ts";
import type { EventFormat, EventItem, SessionItem } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";
import { ConfirmDialog } from "./confirm.tsx";
import { Field } from "./field.tsx";
import { SessionWebinar } from "./session-webinar.tsx";
import { ErrorNote } from "./status.tsx";
import { WebinarsPanel } from "./webinars-panel.tsx";

const FORMATS: EventFormat[] = ["onsite", "webinar", "hybrid"];
/** How often the page asks again while a webinar is on its way to (or off) its provider. */
const WEBINAR_POLL_MS = 3000;

/**
 * An event's sessions: list, add (times in the event's zone), delete with confirmation; per
 * session its webinar account and its webinar's state at the provider; then the event's own
 * webinar.
 */
export function SessionsPanel({ event }: { event: EventItem }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const sessions = useLoad(() => api.sessions(event.id), [event.id]);
  const configs = useLoad(() => api.configurations(), []);
  const webinars = useLoad(() => api.webinars(event.id), [event.id]);
  const webinarList = webinars.data?.data ?? [];
  const moving = webinarList.some((w) => w.state === "pending" || w.state === "deleting");
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(webinars.reload, WEBINAR_POLL_MS);
    return () => clearInterval(timer);
  }, [moving, webinars.reload]);
  const changed = () => {
    sessions.reload();
    webinars.reload();
  };
  const [form, setForm] = useState({ title: "", startsAt: "", endsAt: "", format: "", config: "" });
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState<SessionItem | null>(null);
  const fieldError = (name: string) =>
    error instanceof ApiError && error.field === name ? error.message : undefined;

  async function add(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      const format = (form.format || null) as EventFormat | null;
      await api.createSession(event.id, {
        title: form.title,
        startsAt: form.startsAt,
        endsAt: form.endsAt,
        format,
        webinarConfigurationId: format && format !== "onsite" ? form.config || null : null,
      });
      setForm({ title: "", startsAt: "", endsAt: "", format: "", config: "" });
      changed();
    } catch (err) {
      setError(err);
    }
  }
  async function remove(session: SessionItem) {
    setDeleting(null);
    try {
      await api.deleteSession(event.id, session.id);
      changed();
    } catch (err) {
      setError(err);
    }
  }
  const list = sessions.data?.data ?? [];
  return (
    <section aria-labelledby="sessions-title" className="panel">
      <h2 id="sessions-title">{t("sessions.title")}</h2>
      {list.length === 0 ? (
        <p className="muted">{t("sessions.empty")}</p>
      ) : (
        <ul>
          {list.map((s) => (
            <li key={s.id} data-testid="session-item">
              <strong>{s.title}</strong> — {dateTime(s.startsAt, event.timeZone)} –{" "}
              {dateTime(s.endsAt, event.timeZone)} ({t(`format.${s.effectiveFormat}`)}){" "}
              {can("marketer") && (
                <button type="button" className="link" onClick={() => setDeleting(s)}>
                  {t("common.delete")}
                </button>
              )}
              <SessionWebinar
                eventId={event.id}
                session={s}
                webinar={webinarList.find((w) => w.sessionId === s.id && w.state !== "deleted")}
                configurations={configs.data?.data ?? []}
                canEdit={can("marketer") && event.status !== "cancelled"}
                onChanged={changed}
              />
            </li>
          ))}
        </ul>
      )}
      {can("marketer") && event.status !== "cancelled" && (
        <form onSubmit={add} noValidate className="row wrap">
          <Field label={t("sessions.name")} error={fieldError("title")}>
            {(p) => (
              <input
                {...p}
                value={form.title}
                onChange={(e) => setForm({ ...form, title: e.target.value })}
              />
            )}
          </Field>
          <Field label={t("event.form.startsAt")} error={fieldError("startsAt")}>
            {(p) => (
              <input
                {...p}
                type="datetime-local"
                value={form.startsAt}
                onChange={(e) => setForm({ ...form, startsAt: e.target.value })}
              />
            )}
          </Field>
          <Field label={t("event.form.endsAt")} error={fieldError("endsAt")}>
            {(p) => (
              <input
                {...p}
                type="datetime-local"
                value={form.endsAt}
                onChange={(e) => setForm({ ...form, endsAt: e.target.value })}
              />
            )}
          </Field>
          <Field label={t("sessions.format")} error={fieldError("format")}>
            {(p) => (
              <select
                {...p}
                value={form.format}
                onChange={(e) => setForm({ ...form, format: e.target.value })}
              >
                <option value="">{t("format.inherit")}</option>
                {FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {t(`format.${f}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {(form.format === "webinar" || form.format === "hybrid") && (
            <Field label={t("event.form.webinarConfiguration")} error={fieldError("webinarConfigurationId")}>
              {(p) => (
                <select
                  {...p}
                  value={form.config}
                  onChange={(e) => setForm({ ...form, config: e.target.value })}
                >
                  <option value="">{t("event.form.noConfiguration")}</option>
                  {configs.data?.data.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <button type="submit">{t("sessions.add")}</button>
        </form>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      <WebinarsPanel
        webinars={webinarList.filter((w) => w.sessionId === null)}
        sessionTitle={(id) => list.find((s) => s.id === id)?.title}
      />
      <ConfirmDialog
        open={deleting !== null}
        text={deleting ? t("sessions.confirmDelete", { title: deleting.title }) : ""}
        confirmLabel={t("common.delete")}
        onConfirm={() => deleting && void remove(deleting)}
        onClose={() => setDeleting(null)}
      />
    </section>
  );
}
