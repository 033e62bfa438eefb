import { useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../api/client.ts";
import type { EventItem } from "../api/types.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { EventHeader } from "../components/event-nav.tsx";
import { SessionsPanel } from "../components/sessions.tsx";
import { Badge, ErrorNote, Loading } from "../components/status.tsx";
import { useI18n, viewerTimeZone } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

type Action = "publish" | "unpublish" | "cancel";
const CONFIRM_TEXT = {
  publish: "event.confirmPublish",
  unpublish: "event.confirmUnpublish",
  cancel: "event.confirmCancel",
} as const;
const ACTION_LABEL = {
  publish: "event.publish",
  unpublish: "event.unpublish",
  cancel: "event.cancelEvent",
} as const;

export function EventDetailPage() {
  const { id = "" } = useParams();
  const { t, dateTime, number } = useI18n();
  const { can } = useSession();
  const loaded = useLoad(() => api.event(id), [id]);
  const [event, setEvent] = useState<EventItem>();
  const [pending, setPending] = useState<Action | null>(null);
  const [error, setError] = useState<unknown>();
  const current = event ?? loaded.data;
  if (loaded.error) return <ErrorNote error={loaded.error} onRetry={loaded.reload} />;
  if (!current) return <Loading />;
  const actions: Action[] =
    current.status === "draft"
      ? ["publish", "cancel"]
      : current.status === "published"
        ? ["unpublish", "cancel"]
        : [];
  async function run(action: Action) {
    setPending(null);
    setError(undefined);
    try {
      setEvent(await api.eventAction(id, action));
    } catch (err) {
      setError(err);
    }
  }
  const zone = viewerTimeZone();
  const tone = current.status === "published" ? "ok" : current.status === "cancelled" ? "bad" : "neutral";
  return (
    <section>
      <EventHeader event={current} />
      <div className="row">
        <Badge tone={tone}>{t(`status.${current.status}`)}</Badge>
        <span>{t(`format.${current.format}`)}</span>
        {can("marketer") && current.status !== "cancelled" && (
          <Link className="button" to={`/events/${id}/edit`}>
            {t("common.edit")}
          </Link>
        )}
        {can("marketer") &&
          actions.map((a) => (
            <button
              key={a}
              type="button"
              className={a === "cancel" ? "danger" : ""}
              onClick={() => setPending(a)}
            >
              {t(ACTION_LABEL[a])}
            </button>
          ))}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <dl className="facts">
        <dt>{t("event.eventZone", { zone: current.timeZone })}</dt>
        <dd data-testid="event-time">
          {dateTime(current.startsAt, current.timeZone)} – {dateTime(current.endsAt, current.timeZone)}
        </dd>
        <dt>{t("event.yourZone", { zone })}</dt>
        <dd>
          {dateTime(current.startsAt)} – {dateTime(current.endsAt)}
        </dd>
        <dt>{t("event.capacity")}</dt>
        <dd>{current.capacity === null ? t("event.unlimited") : number(current.capacity)}</dd>
        {current.status === "published" && (
          <>
            <dt>{t("event.publicPage")}</dt>
            <dd>
              <a href={`/e/${current.slug}`} data-testid="public-link">
                {`${window.location.origin}/e/${current.slug}`}
              </a>
            </dd>
          </>
        )}
      </dl>
      <SessionsPanel event={current} />
      <ConfirmDialog
        open={pending !== null}
        text={pending ? t(CONFIRM_TEXT[pending], { title: current.title }) : ""}
        confirmLabel={pending ? t(ACTION_LABEL[pending]) : ""}
        onConfirm={() => pending && void run(pending)}
        onClose={() => setPending(null)}
      />
    </section>
  );
}
