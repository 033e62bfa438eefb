import { useEffect, useRef, useState } from "react";
import { useI18n } from "../i18n/index.tsx";

/**
 * A secret the server shows this once (an API token, a signing secret), with a copy button.
 * It appears above the form that asked for it, so the focus moves to its Copy button: a
 * keyboard user would otherwise have to walk back to it (and a screen reader hears the label).
 */
export function SecretOnce({ label, value, onClose }: { label: string; value: string; onClose(): void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = useRef<HTMLButtonElement>(null);
  // Again for each new secret (a rotation replaces the one shown).
  // biome-ignore lint/correctness/useExhaustiveDependencies: value is the trigger, not a read
  useEffect(() => {
    setCopied(false);
    copy.current?.focus();
  }, [value]);
  return (
    <div className="panel" role="status" data-testid="secret-once">
      <p>{label}</p>
      <div className="row">
        <code data-testid="secret-once-value">{value}</code>
        <button
          ref={copy}
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
