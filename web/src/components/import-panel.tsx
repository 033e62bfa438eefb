import { type FormEvent, useEffect, useRef, useState } from "react";
import { api } from "../api/client.ts";
import type { ImportJob } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Field } from "./field.tsx";
import { ErrorNote } from "./status.tsx";

/** CSV import: upload, then a progress bar fed by polling the import until it ends. */
export function ImportPanel({ eventId, onDone }: { eventId: string; onDone(): void }) {
  const { t, number } = useI18n();
  const file = useRef<HTMLInputElement>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<unknown>();
  const finished = job?.status === "completed" || job?.status === "failed";
  useEffect(() => {
    if (!job || finished) return;
    const timer = setTimeout(async () => {
      try {
        const next = await api.importJob(job.id);
        setJob(next);
        if (next.status === "completed" || next.status === "failed") onDone();
      } catch (err) {
        setError(err);
      }
    }, 500);
    return () => clearTimeout(timer);
  }, [job, finished, onDone]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const chosen = file.current?.files?.[0];
    if (!chosen) return;
    setError(undefined);
    try {
      setJob(await api.importCsv(eventId, await chosen.text(), chosen.name));
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section aria-labelledby="import-title" className="panel">
      <h2 id="import-title">{t("import.title")}</h2>
      <form onSubmit={submit} className="row wrap">
        <Field label={t("import.file")}>
          {(p) => <input {...p} ref={file} type="file" accept=".csv,text/csv" />}
        </Field>
        <button type="submit">{t("import.start")}</button>
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      {job && (
        <div aria-live="polite">
          <label>
            {t("import.progress")}{" "}
            <progress
              max={Math.max(job.totalRows, 1)}
              value={job.processedRows}
              data-testid="import-progress"
            />
          </label>
          <p>
            {t("import.status", {
              processed: number(job.processedRows),
              total: number(job.totalRows),
              succeeded: number(job.succeededRows),
              failed: number(job.failedRows),
            })}
          </p>
          {finished && <p>{t("import.done")}</p>}
          {job.failedRows > 0 && (
            <a href={job.errorReportUrl} download>
              {t("import.errors")}
            </a>
          )}
        </div>
      )}
    </section>
  );
}
