import { useState } from "react";
import { api } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { ErrorNote } from "./status.tsx";

/** Held and failed sync work of one account, with the reason, and a Replay of the failed. */
export function IssuesPanel({ configurationId }: { configurationId: string }) {
  const { t, dateTime, number } = useI18n();
  const issues = useLoad(() => api.issues(configurationId), [configurationId]);
  const [notice, setNotice] = useState("");
  const [error, setError] = useState<unknown>();
  async function replay() {
    setError(undefined);
    try {
      const done = await api.replay(configurationId);
      setNotice(
        t("issues.replayed", { registrations: number(done.registrations), webinars: number(done.webinars) }),
      );
      issues.reload();
    } catch (err) {
      setError(err);
    }
  }
  const list = issues.data?.data ?? [];
  return (
    <section aria-label={t("issues.title")}>
      <h4>{t("issues.title")}</h4>
      {list.length === 0 ? (
        <p className="muted">{t("issues.empty")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("issues.kind")}</th>
              <th scope="col">{t("issues.state")}</th>
              <th scope="col">{t("issues.reason")}</th>
              <th scope="col">{t("issues.attempts")}</th>
              <th scope="col">{t("issues.updated")}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.id}>
                <td>{i.kind}</td>
                <td>{i.state}</td>
                <td>{i.lastError ?? t("common.none")}</td>
                <td>{number(i.attempts)}</td>
                <td>{dateTime(i.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.some((i) => i.state === "failed") && (
        <button type="button" onClick={() => void replay()}>
          {t("issues.replay")}
        </button>
      )}
      <p role="status">{notice}</p>
      {error !== undefined && <ErrorNote error={error} />}
    </section>
  );
}
