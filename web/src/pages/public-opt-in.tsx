import { type FormEvent, useState } from "react";
import { useParams } from "react-router";
import { api } from "../api/client.ts";
import { PublicFrame } from "../components/public-frame.tsx";
import { ErrorNote } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";

/**
 * `/c/{token}`: double opt-in. The emailed link opens this page, and only the button
 * confirms: a mail scanner that fetches the link confirms nobody.
 */
export function PublicOptInPage() {
  const { token = "" } = useParams();
  const { t } = useI18n();
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  async function confirm(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      setDone((await api.publicConfirmOptIn(token)).status);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <PublicFrame>
      <article>
        <h1>{t("public.optInTitle")}</h1>
        {done ? (
          <p role="status">{t(done === "waitlisted" ? "public.optInWaitlisted" : "public.optInDone")}</p>
        ) : (
          <form onSubmit={confirm}>
            {error !== undefined && <ErrorNote error={error} />}
            <button type="submit" className="primary">
              {t("public.optInButton")}
            </button>
          </form>
        )}
      </article>
    </PublicFrame>
  );
}
