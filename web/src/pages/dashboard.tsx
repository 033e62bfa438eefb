import { useEffect } from "react";
import { useParams, useSearchParams } from "react-router";
import { api } from "../api/client.ts";
import { DashboardView } from "../components/dashboard-view.tsx";
import { EventHeader } from "../components/event-nav.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

/** Refreshed on its own while open, so the numbers follow the provider's metrics. */
const AUTO_REFRESH_MS = 15_000;

export function DashboardPage() {
  const { id = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const sessionId = search.get("session") ?? undefined;
  const { t } = useI18n();
  const { can } = useSession();
  const event = useLoad(() => api.event(id), [id]);
  const sessions = useLoad(() => api.sessions(id), [id]);
  const dashboard = useLoad(() => api.dashboard(id, sessionId), [id, sessionId]);
  useEffect(() => {
    const timer = setInterval(dashboard.reload, AUTO_REFRESH_MS);
    return () => clearInterval(timer);
  }, [dashboard.reload]);
  async function refreshNow() {
    // Asks each provider for fresh attendance, then reads the numbers again.
    if (can("marketer"))
      for (const w of dashboard.data?.webinars ?? []) await api.pollWebinar(w.id).catch(() => {});
    dashboard.reload();
  }
  if (event.error) return <ErrorNote error={event.error} />;
  if (!event.data) return <Loading />;
  const webinarSessions = (sessions.data?.data ?? []).filter((s) => s.effectiveFormat !== "onsite");
  return (
    <section>
      <EventHeader event={event.data} />
      <div className="row spread">
        <h2>{t("dash.title")}</h2>
        <div className="row">
          <label className="inline">
            <span>{t("dash.scope")}</span>
            <select
              value={sessionId ?? ""}
              onChange={(e) => setSearch(e.target.value ? { session: e.target.value } : {})}
            >
              <option value="">{t("dash.wholeEvent")}</option>
              {webinarSessions.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void refreshNow()}>
            {t("dash.refresh")}
          </button>
        </div>
      </div>
      {dashboard.error && <ErrorNote error={dashboard.error} onRetry={dashboard.reload} />}
      {dashboard.data ? <DashboardView data={dashboard.data} /> : !dashboard.error && <Loading />}
    </section>
  );
}
