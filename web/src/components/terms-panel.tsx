import { useState } from "react";
import { api } from "../api/client.ts";
import type { Terms } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Badge, ErrorNote } from "./status.tsx";

export function TermsPanel({ terms, onChange }: { terms: Terms; onChange(): void }) {
  const { t, dateTime } = useI18n();
  const [error, setError] = useState<unknown>();
  async function accept() {
    setError(undefined);
    try {
      await api.acceptTerms(terms.version);
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section aria-labelledby="terms-title" className="panel">
      <h2 id="terms-title">{t("terms.title")}</h2>
      <p className="muted">{t("terms.version", { version: terms.version })}</p>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so a keyboard can scroll it (WCAG 2.1.1; axe scrollable-region-focusable) */}
      <section className="terms-text" data-testid="terms-text" tabIndex={0} aria-labelledby="terms-title">
        {terms.text}
      </section>
      {terms.accepted && terms.current ? (
        <Badge tone="ok">
          {t("terms.accepted", {
            version: terms.accepted.version,
            date: dateTime(terms.accepted.acceptedAt),
            name: terms.accepted.acceptedBy?.name ?? "—",
          })}
        </Badge>
      ) : (
        <>
          <p>
            <Badge tone="warn">{t("terms.notAccepted")}</Badge>
          </p>
          <button type="button" className="primary" onClick={() => void accept()}>
            {t("terms.accept", { version: terms.version })}
          </button>
        </>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </section>
  );
}
