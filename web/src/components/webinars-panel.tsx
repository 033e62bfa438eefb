import type { WebinarItem } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Badge } from "./status.tsx";

/** The event's webinars at their providers: state, join link, recording, sync counts, freshness. */
export function WebinarsPanel({
  webinars,
  sessionTitle,
}: {
  webinars: WebinarItem[];
  sessionTitle: (sessionId: string) => string | undefined;
}) {
  const { t } = useI18n();
  if (webinars.length === 0) return null;
  return (
    <section aria-labelledby="webinars-title" className="panel">
      <h2 id="webinars-title">{t("event.webinars")}</h2>
      <ul>
        {webinars.map((w) => (
          <li key={w.id} data-testid="webinar-item">
            <strong>{w.sessionId ? (sessionTitle(w.sessionId) ?? w.provider) : t("event.wholeEvent")}</strong>{" "}
            <WebinarState webinar={w} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A webinar's state at its provider, its join link and recording once there, sync counts, freshness. */
export function WebinarState({ webinar: w }: { webinar: WebinarItem }) {
  const { t, dateTime, number } = useI18n();
  return (
    <span data-testid="webinar-state">
      {w.provider}{" "}
      <Badge tone={w.state === "provisioned" ? "ok" : w.state === "failed" ? "bad" : "warn"}>
        {t("event.webinarState", { state: w.state })}
      </Badge>{" "}
      {t("event.webinarSync", {
        synced: number(w.stats.sync.synced),
        pending: number(w.stats.sync.pending),
        held: number(w.stats.sync.held),
        failed: number(w.stats.sync.failed),
      })}
      {w.joinUrl && (
        <div>
          {t("event.joinLink")}:{" "}
          <a href={w.joinUrl} target="_blank" rel="noreferrer" data-testid="webinar-join-link">
            {w.joinUrl}
          </a>
        </div>
      )}
      {w.recording && (
        <div>
          {t(w.recording.kind === "on_demand" ? "event.onDemand" : "event.recording")}:{" "}
          <a href={w.recording.url} target="_blank" rel="noreferrer" data-testid="webinar-recording">
            {w.recording.url}
          </a>{" "}
          <span className="muted">
            (
            {t("event.recordingFetched", {
              at: w.recording.fetchedAt ? dateTime(w.recording.fetchedAt) : "—",
            })}
            )
          </span>
        </div>
      )}
      {w.lastError && <div className="field-error">{w.lastError}</div>}
      <div className="muted">
        {t("config.lastMetrics")}: {w.lastMetricsAt ? dateTime(w.lastMetricsAt) : t("config.never")}
      </div>
    </span>
  );
}
