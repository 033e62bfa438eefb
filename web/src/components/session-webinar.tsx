import { useState } from "react";
import { api } from "../api/client.ts";
import type { EventFormat, SessionItem, WebinarConfiguration, WebinarItem } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { ErrorNote } from "./status.tsx";
import { WebinarState } from "./webinars-panel.tsx";

/**
 * One session's webinar: which provider account runs it (chosen per session, so one event can
 * stream its keynote on ON24 and a workshop on Zoom), and what that webinar is at the provider
 * now — state, join link, recording. Choosing an account makes an on-site session a webinar;
 * "no webinar account" takes it off the provider.
 */
export function SessionWebinar(props: {
  eventId: string;
  session: SessionItem;
  webinar: WebinarItem | undefined;
  configurations: WebinarConfiguration[];
  canEdit: boolean;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const { session, webinar } = props;
  const [error, setError] = useState<unknown>();
  const streamed = session.effectiveFormat !== "onsite";

  async function choose(configId: string) {
    setError(undefined);
    try {
      const format: EventFormat | null = configId
        ? streamed
          ? session.format
          : "webinar"
        : streamed && session.format !== null
          ? "onsite"
          : session.format;
      await api.updateSession(props.eventId, session.id, {
        format,
        webinarConfigurationId: configId || null,
      });
      props.onChanged();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div className="session-webinar" data-testid="session-webinar">
      {props.canEdit ? (
        <label>
          {t("sessions.webinarFor", { title: session.title })}{" "}
          <select
            value={streamed ? (session.webinarConfigurationId ?? "") : ""}
            onChange={(e) => void choose(e.target.value)}
          >
            <option value="">{t("event.form.noConfiguration")}</option>
            {props.configurations.map((c) => (
              <option key={c.id} value={c.id}>
                {`${c.name} (${c.provider})`}
              </option>
            ))}
          </select>
        </label>
      ) : null}{" "}
      {webinar ? (
        <WebinarState webinar={webinar} />
      ) : (
        <span className="muted"> {t("sessions.noWebinar")}</span>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </div>
  );
}
