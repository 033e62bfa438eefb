import { api } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { ReconcileControl } from "./reconcile-control.tsx";
import { Badge } from "./status.tsx";

/** The event's webinars at their providers: state, join link, sync counts, freshness. */
export function WebinarsPanel({ eventId }: { eventId: string }) {
  const { t, dateTime, number } = useI18n();
  const webinars = useLoad(() => api.webinars(eventId), [eventId]);
  const list = webinars.data?.data ?? [];
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="webinars-title" className="panel">
      <h2 id="webinars-title">{t("event.webinars")}</h2>
      <ul>
        {list.map((w) => (
          <li key={w.id} data-testid="webinar-item">
            <strong>{w.provider}</strong>{" "}
            <Badge tone={w.state === "provisioned" ? "ok" : w.state === "failed" ? "bad" : "warn"}>
              {t("event.webinarState", { state: w.state })}
            </Badge>{" "}
            {t("event.webinarSync", {
              synced: number(w.stats.sync.synced),
              pending: number(w.stats.sync.pending),
              held: number(w.stats.sync.held),
              failed: number(w.stats.sync.failed),
            })}
            {w.lastError && <div className="field-error">{w.lastError}</div>}
            <div className="muted">
              {t("config.lastMetrics")}: {w.lastMetricsAt ? dateTime(w.lastMetricsAt) : t("config.never")}
            </div>
            {w.state === "provisioned" && <ReconcileControl webinarId={w.id} onDone={webinars.reload} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
