import { type FormEvent, useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { type CheckIn, checkInApi } from "../api/checkins.ts";
import { ApiError, api } from "../api/client.ts";
import type { Registration } from "../api/types.ts";
import { Field } from "../components/field.tsx";
import { QrScanner } from "../components/qr-scanner.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

/** Live counts: the desk asks again this often (several desks check in at one door). */
const COUNTS_POLL_MS = 4000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * `/check-in/:eventId?`: the door of an on-site or hybrid event. Search by name or email, scan
 * the QR code of the confirmation page or email (it carries the registration id), or type
 * that code; walk-ins are registered and checked in at once. A viewer sees the counts and
 * the list, never a button.
 */
export function CheckInDeskPage() {
  const { eventId = "" } = useParams();
  const navigate = useNavigate();
  const { t } = useI18n();
  const { can } = useSession();
  const events = useLoad(() => api.events({ limit: 100 }), []);
  const onSite = (events.data?.data ?? []).filter((e) => e.format !== "webinar" && e.status !== "cancelled");
  return (
    <section aria-labelledby="desk-title">
      <h1 id="desk-title">{t("desk.title")}</h1>
      {events.error && <ErrorNote error={events.error} onRetry={events.reload} />}
      <Field label={t("desk.event")}>
        {(props) => (
          <select {...props} value={eventId} onChange={(e) => navigate(`/check-in/${e.target.value}`)}>
            <option value="">{t("desk.chooseEvent")}</option>
            {onSite.map((e) => (
              <option key={e.id} value={e.id}>
                {e.title}
              </option>
            ))}
          </select>
        )}
      </Field>
      {eventId && <Desk key={eventId} eventId={eventId} mayAct={can("marketer")} />}
    </section>
  );
}

function Desk({ eventId, mayAct }: { eventId: string; mayAct: boolean }) {
  const { t, dateTime } = useI18n();
  const counts = useLoad(() => checkInApi.counts(eventId), [eventId]);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<Registration[] | null>(null);
  const shownIds = (found ?? []).map((r) => r.id);
  const checkIns = useLoad(
    async () => (shownIds.length > 0 ? checkInApi.checkInsOf(eventId, shownIds) : { data: [] }),
    [eventId, shownIds.join(",")],
  );
  const [code, setCode] = useState("");
  const [scanning, setScanning] = useState(false);
  const [notice, setNotice] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [walkIn, setWalkIn] = useState({ firstName: "", lastName: "", email: "" });
  const { reload: reloadCheckIns } = checkIns;
  const { reload: reloadCounts } = counts;

  useEffect(() => {
    const timer = setInterval(() => {
      reloadCheckIns();
      reloadCounts();
    }, COUNTS_POLL_MS);
    return () => clearInterval(timer);
  }, [reloadCheckIns, reloadCounts]);

  // The event's own check-in (not a session's) of each person shown: who is in already.
  const atDoor = new Map<string, CheckIn>();
  for (const c of checkIns.data?.data ?? [])
    if (c.kind === "onsite" && c.sessionId === null) atDoor.set(c.registrationId, c);
  const name = (r: { contact: { firstName: string; lastName: string } }) =>
    `${r.contact.firstName} ${r.contact.lastName}`;

  async function act(action: () => Promise<string>) {
    setError(null);
    setNotice("");
    try {
      setNotice(await action());
      checkIns.reload();
      counts.reload();
    } catch (e) {
      setError(e);
    }
  }
  const checkIn = (r: Registration) =>
    act(async () => {
      await checkInApi.checkIn(eventId, r.id);
      return t("desk.checkedIn", { name: name(r) });
    });
  const checkOut = (r: Registration, c: CheckIn) =>
    act(async () => {
      await checkInApi.checkOut(c.id);
      return t("desk.checkedOut", { name: name(r) });
    });

  /** A scanned or typed code: the registration id, alone or inside a longer text. */
  async function admitCode(raw: string) {
    const registrationId = UUID.exec(raw)?.[0];
    if (!registrationId) {
      setError(new ApiError(422, "unknown_code", t("desk.unknownCode"), "code"));
      return;
    }
    await act(async () => {
      const r = await checkInApi.registration(registrationId).catch((e: unknown) => {
        throw e instanceof ApiError && e.status === 404 ? new Error(t("desk.unknownCode")) : e;
      });
      if (r.eventId !== eventId) throw new Error(t("desk.otherEvent", { name: name(r) }));
      await checkInApi.checkIn(eventId, r.id);
      setFound([r]);
      return t("desk.checkedIn", { name: name(r) });
    });
  }

  async function search(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setFound((await checkInApi.search(eventId, query.trim())).data);
    } catch (err) {
      setError(err);
    }
  }

  async function registerWalkIn(e: FormEvent) {
    e.preventDefault();
    await act(async () => {
      const r = await checkInApi.walkIn(eventId, walkIn);
      await checkInApi.checkIn(eventId, r.id);
      setWalkIn({ firstName: "", lastName: "", email: "" });
      setFound([r]);
      return t("desk.walkInDone", { name: name(r) });
    });
  }

  return (
    <>
      <section aria-labelledby="desk-counts" className="card">
        <h2 id="desk-counts">{t("desk.counts")}</h2>
        <p aria-live="polite" data-testid="desk-counts">
          {counts.data
            ? t("desk.countsLine", { in: counts.data.checkedIn, registered: counts.data.registered })
            : null}
        </p>
      </section>
      {counts.error && <ErrorNote error={counts.error} onRetry={counts.reload} />}
      {error ? <ErrorNote error={error} /> : null}
      {notice && (
        <p role="status" className="note" data-testid="desk-notice">
          {notice}
        </p>
      )}
      <form onSubmit={search} aria-label={t("desk.search")}>
        <Field label={t("desk.searchLabel")}>
          {(props) => (
            <input {...props} type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          )}
        </Field>
        <button type="submit">{t("desk.searchSubmit")}</button>
      </form>
      {found && (
        <table>
          <caption>{t("desk.results")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("desk.col.name")}</th>
              <th scope="col">{t("desk.col.email")}</th>
              <th scope="col">{t("desk.col.status")}</th>
              {mayAct && <th scope="col">{t("common.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {found.length === 0 && (
              <tr>
                <td colSpan={mayAct ? 4 : 3}>{t("desk.noMatch")}</td>
              </tr>
            )}
            {found.map((r) => {
              const c = atDoor.get(r.id);
              return (
                <tr key={r.id} data-testid="desk-row">
                  <td>{name(r)}</td>
                  <td>{r.contact.email}</td>
                  <td>
                    {c ? t("desk.inSince", { time: dateTime(c.checkedInAt) }) : t(`regstatus.${r.status}`)}
                  </td>
                  {mayAct && (
                    <td>
                      {c ? (
                        <button type="button" onClick={() => void checkOut(r, c)}>
                          {t("desk.checkOut", { name: name(r) })}
                        </button>
                      ) : r.status === "registered" ? (
                        <button type="button" onClick={() => void checkIn(r)}>
                          {t("desk.checkIn", { name: name(r) })}
                        </button>
                      ) : null}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {mayAct && (
        <>
          <section aria-labelledby="desk-scan" className="card">
            <h2 id="desk-scan">{t("desk.scan")}</h2>
            {scanning ? (
              <QrScanner onCode={(c) => void admitCode(c)} onClose={() => setScanning(false)} />
            ) : (
              <button type="button" onClick={() => setScanning(true)}>
                {t("desk.startCamera")}
              </button>
            )}
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void admitCode(code.trim());
                setCode("");
              }}
            >
              <Field label={t("desk.typeCode")} hint={t("desk.typeCodeHint")}>
                {(props) => <input {...props} value={code} onChange={(e) => setCode(e.target.value)} />}
              </Field>
              <button type="submit">{t("desk.admitCode")}</button>
            </form>
          </section>
          <section aria-labelledby="desk-walkin" className="card">
            <h2 id="desk-walkin">{t("desk.walkIn")}</h2>
            <form onSubmit={registerWalkIn}>
              {(["firstName", "lastName", "email"] as const).map((key) => (
                <Field key={key} label={t(`desk.walkIn.${key}`)}>
                  {(props) => (
                    <input
                      {...props}
                      type={key === "email" ? "email" : "text"}
                      required
                      value={walkIn[key]}
                      onChange={(e) => setWalkIn({ ...walkIn, [key]: e.target.value })}
                    />
                  )}
                </Field>
              ))}
              <button type="submit">{t("desk.walkInSubmit")}</button>
            </form>
          </section>
        </>
      )}
      {!counts.data && !counts.error && <Loading />}
    </>
  );
}
