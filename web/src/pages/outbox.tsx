import { useState } from "react";
import { api } from "../api/client.ts";
import type { EmailState, EmailSummary } from "../api/types.ts";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

const STATES: EmailState[] = ["queued", "deferred", "sent", "failed", "kept"];

/**
 * The organization's outgoing email: each message's state, and a preview as its recipient
 * sees it. The HTML is shown in a sandboxed frame with no permissions (no scripts, no
 * same-origin access, no forms), loaded from the API's preview route, whose own policy lets
 * the message's inline styles apply (a srcdoc frame would inherit the app's stricter one).
 */
export function OutboxPage() {
  const { t, dateTime } = useI18n();
  const { me } = useSession();
  const [state, setState] = useState<EmailState | "">("");
  const [extra, setExtra] = useState<{ items: EmailSummary[]; cursor: string | null } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const first = useLoad(async () => {
    setExtra(null);
    return api.emailMessages({ state, limit: 50 });
  }, [state, me?.organizationId]);
  const items = [...(first.data?.data ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);
  async function more() {
    if (!cursor) return;
    const page = await api.emailMessages({ state, limit: 50, cursor });
    setExtra({ items: [...(extra?.items ?? []), ...page.data], cursor: page.nextCursor });
  }
  return (
    <section aria-labelledby="outbox-title">
      <h1 id="outbox-title">{t("outbox.title")}</h1>
      {first.data && (
        <p className={first.data.delivery === "kept" ? "note warn" : "muted"} data-testid="outbox-delivery">
          {first.data.delivery === "kept" ? t("outbox.kept") : t("outbox.sending")}
        </p>
      )}
      <div className="row filters">
        <label className="inline">
          <span>{t("outbox.stateFilter")}</span>
          <select value={state} onChange={(e) => setState(e.target.value as EmailState | "")}>
            <option value="">{t("common.all")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`emailState.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {first.error && <ErrorNote error={first.error} onRetry={first.reload} />}
      {first.loading && !first.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <p>{t("outbox.empty")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("outbox.col.created")}</th>
              <th scope="col">{t("outbox.col.recipient")}</th>
              <th scope="col">{t("outbox.col.subject")}</th>
              <th scope="col">{t("outbox.col.state")}</th>
              <th scope="col">{t("outbox.col.attempts")}</th>
              <th scope="col">
                <span className="sr-only">{t("outbox.preview")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.id} data-testid="outbox-row">
                <td>{dateTime(m.createdAt)}</td>
                <td>{m.recipient}</td>
                <td>{m.subject}</td>
                <td>
                  <span className={`state state-${m.state}`}>{t(`emailState.${m.state}`)}</span>
                  {m.lastError && <div className="muted small">{m.lastError}</div>}
                  {m.state === "deferred" && m.nextAttemptAt && (
                    <div className="muted small">
                      {t("outbox.nextAttempt", { at: dateTime(m.nextAttemptAt) })}
                    </div>
                  )}
                  {m.serverMessageId && (
                    <div className="muted small">{t("outbox.serverId", { id: m.serverMessageId })}</div>
                  )}
                </td>
                <td>{m.attempts}</td>
                <td>
                  <button type="button" onClick={() => setSelected(m.id)} aria-pressed={selected === m.id}>
                    {t("outbox.preview")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void more()}>
          {t("common.loadMore")}
        </button>
      )}
      {selected && <Preview id={selected} />}
    </section>
  );
}

function Preview({ id }: { id: string }) {
  const { t } = useI18n();
  const message = useLoad(() => api.emailMessage(id), [id]);
  if (message.error) return <ErrorNote error={message.error} onRetry={message.reload} />;
  if (!message.data) return <Loading />;
  const m = message.data;
  return (
    <section aria-labelledby="preview-title" className="panel">
      <h2 id="preview-title">{t("outbox.previewOf", { subject: m.subject })}</h2>
      <p className="muted">{t("outbox.masked")}</p>
      <iframe
        title={t("outbox.previewFrame")}
        sandbox=""
        src={api.emailPreviewUrl(m.id)}
        style={{ width: "100%", height: 520, border: "1px solid #d5d8e0", background: "#fff" }}
      />
      <details>
        <summary>{t("outbox.plainText")}</summary>
        <pre data-testid="outbox-text">{m.text}</pre>
      </details>
    </section>
  );
}
