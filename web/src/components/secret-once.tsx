import { useState } from "react";
import { useI18n } from "../i18n/index.tsx";

/** A secret the server shows this once (an API token, a signing secret), with a copy button. */
export function SecretOnce({ label, value, onClose }: { label: string; value: string; onClose(): void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="panel" role="status" data-testid="secret-once">
      <p>{label}</p>
      <div className="row">
        <code data-testid="secret-once-value">{value}</code>
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? t("tokens.copied") : t("tokens.copy")}
        </button>
        <button type="button" onClick={onClose}>
          {t("common.close")}
        </button>
      </div>
    </div>
  );
}
