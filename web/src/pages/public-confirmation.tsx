import QRCode from "qrcode";
import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { api } from "../api/client.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { PublicFrame } from "../components/public-frame.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";

/** How often the page asks again while the provider has not yet given a join link. */
const JOIN_POLL_MS = 3000;

/** `/r/{token}`: the registrant's own page. The token in the address is their only proof. */
export function PublicConfirmationPage() {
  const { token = "" } = useParams();
  const { t, dateTime } = useI18n();
  const loaded = useLoad(() => api.publicConfirmation(token), [token]);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>();
  const data = loaded.data;
  const waitingForLink = data?.registration.status === "registered" && !data.joinUrl;
  useEffect(() => {
    if (!waitingForLink) return;
    const timer = setInterval(loaded.reload, JOIN_POLL_MS);
    return () => clearInterval(timer);
  }, [waitingForLink, loaded.reload]);
  async function cancel() {
    setAsking(false);
    if (!data) return;
    try {
      await api.publicCancel(data.cancelUrl);
      loaded.reload();
    } catch (err) {
      setError(err);
    }
  }
  if (loaded.error) return <PublicFrame>{<ErrorNote error={loaded.error} />}</PublicFrame>;
  if (!data) return <PublicFrame>{<Loading />}</PublicFrame>;
  const { event, registration } = data;
  const cancelled = registration.status === "cancelled";
  return (
    <PublicFrame>
      <h1>{cancelled ? t("public.cancelled") : t("public.confirmTitle")}</h1>
      <h2>{event.title}</h2>
      <p>
        {t("public.when", {
          start: dateTime(event.startsAt, event.timeZone),
          end: dateTime(event.endsAt, event.timeZone),
          zone: event.timeZone,
        })}
      </p>
      {registration.status === "waitlisted" && <p role="status">{t("public.waitlisted")}</p>}
      {data.checkInCode && event.format !== "webinar" && <CheckInQr code={data.checkInCode} />}
      {registration.status === "registered" && (
        <section aria-live="polite" data-testid="join">
          {data.joinLinks.length > 0 ? (
            data.joinLinks.map((link) => (
              <p key={link.joinUrl}>
                {link.sessionTitle ? `${t("public.joinLink")} (${link.sessionTitle})` : t("public.joinLink")}:{" "}
                <a href={link.joinUrl} data-testid="join-link">
                  {link.joinUrl}
                </a>
              </p>
            ))
          ) : (
            <p className="muted">{t("public.joinPending")}</p>
          )}
        </section>
      )}
      {!cancelled && (
        <>
          <p>
            <a className="button" href={data.calendarUrl} download data-testid="ics-link">
              {t("public.calendar")}
            </a>
          </p>
          <p className="muted">{t("public.keepLink")}</p>
          <button type="button" className="danger" onClick={() => setAsking(true)}>
            {t("public.cancel")}
          </button>
        </>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      <ConfirmDialog
        open={asking}
        text={t("public.confirmCancelText", { title: event.title })}
        confirmLabel={t("public.cancel")}
        onConfirm={() => void cancel()}
        onClose={() => setAsking(false)}
      />
    </PublicFrame>
  );
}

/** The QR code the check-in desk scans (the registration id), with the code as text for typing. */
function CheckInQr({ code }: { code: string }) {
  const { t } = useI18n();
  const [image, setImage] = useState("");
  useEffect(() => {
    QRCode.toDataURL(code, { errorCorrectionLevel: "M", margin: 2, scale: 6 }).then(setImage, () =>
      setImage(""),
    );
  }, [code]);
  return (
    <section aria-labelledby="qr-title" data-testid="check-in-qr">
      <h3 id="qr-title">{t("public.checkInQr")}</h3>
      {image && <img src={image} alt={t("public.checkInQr")} />}
      <p className="muted">{t("public.checkInQrHint", { code })}</p>
    </section>
  );
}
