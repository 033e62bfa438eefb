import { useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client.ts";
import type { EventItem, EventStatus } from "../api/types.ts";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

const STATUSES: EventStatus[] = ["draft", "published", "cancelled"];

export function EventsPage() {
  const { t, dateTime } = useI18n();
  const { can, me } = useSession();
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<EventStatus | "">("");
  const [extra, setExtra] = useState<{ items: EventItem[]; cursor: string | null } | null>(null);
  const first = useLoad(async () => {
    setExtra(null);
    return api.events({ q, status, limit: 50 });
  }, [q, status, me?.organizationId]);
  const items = [...(first.data?.data ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);
  async function more() {
    if (!cursor) return;
    const page = await api.events({ q, status, limit: 50, cursor });
    setExtra({ items: [...(extra?.items ?? []), ...page.data], cursor: page.nextCursor });
  }
  return (
    <section aria-labelledby="events-title">
      <div className="row spread">
        <h1 id="events-title">{t("events.title")}</h1>
        {can("marketer") && (
          <Link className="button primary" to="/events/new">
            {t("events.new")}
          </Link>
        )}
      </div>
      <div className="row filters">
        <label className="inline">
          <span>{t("events.search")}</span>
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <label className="inline">
          <span>{t("events.statusFilter")}</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as EventStatus | "")}>
            <option value="">{t("common.all")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {first.error && <ErrorNote error={first.error} onRetry={first.reload} />}
      {first.loading && !first.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <p>{t("events.empty")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("events.col.title")}</th>
              <th scope="col">{t("events.col.starts")}</th>
              <th scope="col">{t("events.col.format")}</th>
              <th scope="col">{t("events.col.status")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link to={`/events/${e.id}`}>{e.title}</Link>
                </td>
                <td>
                  {dateTime(e.startsAt, e.timeZone)} <span className="muted">{e.timeZone}</span>
                </td>
                <td>{t(`format.${e.format}`)}</td>
                <td>{t(`status.${e.status}`)}</td>
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
    </section>
  );
}
