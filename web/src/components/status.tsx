import { ApiError } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="muted" aria-live="polite">
      {t("app.loading")}
    </p>
  );
}

/** An API or network error, announced to screen readers; names the field when the API did. */
export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const message =
    error instanceof ApiError && error.field
      ? `${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div role="alert" className="error">
      {t("app.error", { message })}{" "}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t("app.retry")}
        </button>
      )}
    </div>
  );
}

/** A state shown as text plus a shape, so it never depends on colour alone. */
export function Badge({ tone, children }: { tone: "ok" | "warn" | "bad" | "neutral"; children: string }) {
  const mark = { ok: "●", warn: "▲", bad: "■", neutral: "○" }[tone];
  return (
    <span className={`badge badge-${tone}`}>
      <span aria-hidden="true">{mark} </span>
      {children}
    </span>
  );
}
