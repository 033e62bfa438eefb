import { NavLink } from "react-router";
import type { EventItem } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";

/** Heading and section links shared by an event's pages. */
export function EventHeader({ event }: { event: EventItem }) {
  const { t } = useI18n();
  return (
    <>
      <h1>{event.title}</h1>
      <nav aria-label={t("event.tabs")} className="tabs">
        <NavLink end to={`/events/${event.id}`}>
          {t("event.overview")}
        </NavLink>
        <NavLink to={`/events/${event.id}/registrations`}>{t("event.registrations")}</NavLink>
        {/* A session of an on-site event can be the webinar, so the dashboard is always offered. */}
        <NavLink to={`/events/${event.id}/dashboard`}>{t("event.dashboard")}</NavLink>
      </nav>
    </>
  );
}
