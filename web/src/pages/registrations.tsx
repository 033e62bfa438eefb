import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { api } from "../api/client.ts";
import type { Registration, RegistrationStatus, SyncState } from "../api/types.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { EventHeader } from "../components/event-nav.tsx";
import { ImportPanel } from "../components/import-panel.tsx";
import { RegistrationRow } from "../components/registration-row.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { type MessageKey, useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

const STATUSES: RegistrationStatus[] = ["pending_confirmation", "registered", "waitlisted", "cancelled"];
const SYNC: (SyncState | "none")[] = ["pending", "synced", "held", "failed", "cancelled", "none"];
const SORTS = [
  "-createdAt",
  "createdAt",
  "lastName",
  "-lastName",
  "email",
  "-email",
  "status",
  "-status",
  "-minutes",
  "minutes",
] as const;
type Sort = (typeof SORTS)[number];
const PAGE_SIZE = 50;

/**
 * One page at a time from the server (keyset cursors), so 50,000 registrations cost the
 * browser no more than 50. Earlier pages' cursors are kept for "previous".
 */
export function RegistrationsPage() {
  const { id = "" } = useParams();
  const { t, number } = useI18n();
  const { can } = useSession();
  const event = useLoad(() => api.event(id), [id]);
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("");
  const [sync, setSync] = useState("");
  const [attended, setAttended] = useState("");
  const [sort, setSort] = useState<Sort>("-createdAt");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [cancelling, setCancelling] = useState<Registration | null>(null);
  const [error, setError] = useState<unknown>();
  // Typing waits a moment before asking the server, instead of one request per key.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q), 250);
    return () => clearTimeout(timer);
  }, [q]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: any filter change starts again at page 1
  useEffect(() => setCursors([null]), [query, status, sync, attended, sort]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(
    () =>
      api.registrations(id, {
        limit: PAGE_SIZE,
        cursor,
        q: query,
        status,
        sync,
        attended,
        // Always sent: the server's own default is oldest first, the table's newest first.
        sort,
      }),
    [id, cursor, query, status, sync, attended, sort],
  );
  async function cancel(r: Registration) {
    setCancelling(null);
    try {
      await api.cancelRegistration(r.id);
      page.reload();
    } catch (err) {
      setError(err);
    }
  }
  if (event.error) return <ErrorNote error={event.error} />;
  if (!event.data) return <Loading />;
  const rows = page.data?.data ?? [];
  const select = (
    label: MessageKey,
    value: string,
    set: (v: string) => void,
    options: [string, string][],
  ) => (
    <label className="inline">
      <span>{t(label)}</span>
      <select value={value} onChange={(e) => set(e.target.value)}>
        <option value="">{t("common.all")}</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section>
      <EventHeader event={event.data} />
      <div className="row spread">
        <h2>{t("regs.title")}</h2>
        <a className="button" href={api.registrationsCsvUrl(id)} download>
          {t("regs.export")}
        </a>
      </div>
      <div className="row wrap filters">
        <label className="inline">
          <span>{t("regs.search")}</span>
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        {select(
          "regs.status",
          status,
          setStatus,
          STATUSES.map((s) => [s, t(`regstatus.${s}`)]),
        )}
        {select(
          "regs.sync",
          sync,
          setSync,
          SYNC.map((s) => [s, t(`sync.${s}`)]),
        )}
        {select("regs.attended", attended, setAttended, [
          ["true", t("common.yes")],
          ["false", t("common.no")],
        ])}
        <label className="inline">
          <span>{t("regs.sort")}</span>
          <select value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`sort.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p aria-live="polite" data-testid="regs-total">
        {page.data?.total !== undefined ? t("regs.total", { count: number(page.data.total) }) : ""}
      </p>
      {(page.error ?? error) !== undefined && <ErrorNote error={page.error ?? error} onRetry={page.reload} />}
      {page.loading && !page.data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p>{t("regs.empty")}</p>
      ) : (
        <table aria-busy={page.loading}>
          <thead>
            <tr>
              <th scope="col">{t("regs.col.name")}</th>
              <th scope="col">{t("regs.col.email")}</th>
              <th scope="col">{t("regs.col.status")}</th>
              <th scope="col">{t("regs.col.sync")}</th>
              <th scope="col">{t("regs.col.join")}</th>
              <th scope="col">{t("regs.col.minutes")}</th>
              <th scope="col">{t("regs.col.created")}</th>
              {can("marketer") && <th scope="col">{t("common.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <RegistrationRow
                key={r.id}
                registration={r}
                onCancel={can("marketer") ? setCancelling : undefined}
              />
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          {t("common.previous")}
        </button>
        <span>{t("regs.page", { page: cursors.length })}</span>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
        >
          {t("common.next")}
        </button>
      </div>
      {can("marketer") && <ImportPanel eventId={id} onDone={page.reload} />}
      <ConfirmDialog
        open={cancelling !== null}
        text={
          cancelling
            ? t("regs.confirmCancel", {
                name: `${cancelling.contact.firstName} ${cancelling.contact.lastName}`,
              })
            : ""
        }
        confirmLabel={t("regs.cancel")}
        onConfirm={() => cancelling && void cancel(cancelling)}
        onClose={() => setCancelling(null)}
      />
    </section>
  );
}
