import type { Registration } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Badge } from "./status.tsx";

const SYNC_TONE = {
  synced: "ok",
  pending: "warn",
  held: "warn",
  failed: "bad",
  cancelled: "neutral",
} as const;

export function RegistrationRow({
  registration: r,
  onCancel,
}: {
  registration: Registration;
  onCancel: ((r: Registration) => void) | undefined;
}) {
  const { t, dateTime, number } = useI18n();
  const webinars = r.webinar ?? [];
  const minutes = (n: number | null) => (n === null ? t("common.none") : number(n));
  return (
    <tr data-testid="registration-row">
      <td>
        {r.contact.firstName} {r.contact.lastName}
      </td>
      <td>{r.contact.email}</td>
      <td>{t(`regstatus.${r.status}`)}</td>
      <td data-testid="sync-state">
        {webinars.length === 0
          ? t("sync.none")
          : webinars.map((w) => (
              <div key={w.webinarId} title={w.lastError ?? undefined}>
                <Badge tone={SYNC_TONE[w.state]}>{t(`sync.${w.state}`)}</Badge>
                {w.lastError && <small className="field-error"> {w.lastError}</small>}
              </div>
            ))}
      </td>
      <td>
        {webinars.map((w) =>
          w.joinUrl ? (
            <div key={w.webinarId}>
              <a href={w.joinUrl} target="_blank" rel="noreferrer">
                {t("regs.open")}
              </a>
            </div>
          ) : null,
        )}
      </td>
      <td>
        {webinars.map((w) => (
          <div key={w.webinarId}>
            {minutes(w.liveMinutes)} / {minutes(w.onDemandMinutes)}
          </div>
        ))}
      </td>
      <td>{dateTime(r.createdAt)}</td>
      {onCancel && (
        <td>
          {r.status !== "cancelled" && (
            <button type="button" className="link" onClick={() => onCancel(r)}>
              {t("regs.cancel")}
            </button>
          )}
        </td>
      )}
    </tr>
  );
}
