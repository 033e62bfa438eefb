import { type FormEvent, useEffect, useState } from "react";
import { privacyApi, type Retention, type SweepCounts } from "../api/privacy.ts";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";
import { ConfirmDialog } from "./confirm.tsx";
import { Field } from "./field.tsx";
import { ErrorNote } from "./status.tsx";

const KEYS = ["registrationsDays", "attendanceDays", "auditDays"] as const;

/** Retention periods (empty: kept forever), a dry-run preview of what would go, and deleting now. */
export function RetentionPanel() {
  const { t } = useI18n();
  const { me } = useSession();
  const loaded = useLoad(() => privacyApi.retention(), [me?.organizationId]);
  const [draft, setDraft] = useState<Record<(typeof KEYS)[number], string>>({
    registrationsDays: "",
    attendanceDays: "",
    auditDays: "",
  });
  const [counts, setCounts] = useState<SweepCounts | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const r = loaded.data;
    if (r)
      setDraft({
        registrationsDays: r.registrationsDays?.toString() ?? "",
        attendanceDays: r.attendanceDays?.toString() ?? "",
        auditDays: r.auditDays?.toString() ?? "",
      });
  }, [loaded.data]);

  async function run(action: () => Promise<unknown>) {
    setError(null);
    setSaved(false);
    try {
      await action();
    } catch (e) {
      setError(e);
    }
  }
  const settings = (): Retention => ({
    registrationsDays: draft.registrationsDays ? Number(draft.registrationsDays) : null,
    attendanceDays: draft.attendanceDays ? Number(draft.attendanceDays) : null,
    auditDays: draft.auditDays ? Number(draft.auditDays) : null,
  });
  function save(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      await privacyApi.setRetention(settings());
      setSaved(true);
      setCounts(await privacyApi.sweep(true));
    });
  }

  return (
    <form className="panel" onSubmit={save} aria-labelledby="retention-title">
      <h2 id="retention-title">{t("retention.title")}</h2>
      <p className="muted">{t("retention.hint")}</p>
      {error ? <ErrorNote error={error} /> : null}
      <div className="row">
        {KEYS.map((key) => (
          <Field key={key} label={t(`retention.${key}`)}>
            {(props) => (
              <input
                {...props}
                type="number"
                min={1}
                max={36500}
                value={draft[key]}
                onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
              />
            )}
          </Field>
        ))}
      </div>
      <div className="row">
        <button type="submit">{t("common.save")}</button>
        <button type="button" onClick={() => void run(async () => setCounts(await privacyApi.sweep(true)))}>
          {t("retention.preview")}
        </button>
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          {t("retention.sweepNow")}
        </button>
      </div>
      {saved && <p role="status">{t("common.saved")}</p>}
      {counts && (
        <p role="status" data-testid="retention-counts">
          {t(counts.dryRun ? "retention.wouldDelete" : "retention.deleted", {
            registrations: counts.registrations,
            attendance: counts.attendance,
            checkIns: counts.checkIns,
            audit: counts.auditEntries,
          })}
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        text={t("retention.sweepConfirm")}
        confirmLabel={t("retention.sweepNow")}
        onClose={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          void run(async () => setCounts(await privacyApi.sweep(false)));
        }}
      />
    </form>
  );
}
