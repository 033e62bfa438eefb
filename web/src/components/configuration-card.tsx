import { type FormEvent, useState } from "react";
import { ApiError, api } from "../api/client.ts";
import type { HealthStatus, ProviderInfo, WebinarConfiguration } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { humanize } from "../lib/providers.ts";
import { ConfirmDialog } from "./confirm.tsx";
import { CredentialInputs } from "./credentials-form.tsx";
import { IssuesPanel } from "./issues-panel.tsx";
import { Badge, ErrorNote } from "./status.tsx";

const HEALTH_TONE: Record<HealthStatus, "ok" | "warn" | "bad" | "neutral"> = {
  unchecked: "neutral",
  healthy: "ok",
  not_authenticated: "bad",
  forbidden: "bad",
  unhealthy: "warn",
  token_expired: "bad",
};

/** One provider account: health and Check, credential state (never values), switch-off, issues. */
export function ConfigurationCard({
  configuration,
  provider,
  onChange,
}: {
  configuration: WebinarConfiguration;
  provider: ProviderInfo | undefined;
  onChange(): void;
}) {
  const { t, dateTime } = useI18n();
  const [c, setC] = useState(configuration);
  const [error, setError] = useState<unknown>();
  const [removing, setRemoving] = useState(false);
  const [notice, setNotice] = useState("");
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const fields =
    provider?.credentialFields ?? Object.keys(c.credentials).map((name) => ({ name, label: humanize(name) }));
  async function act(action: () => Promise<WebinarConfiguration>, message = "") {
    setError(undefined);
    setNotice("");
    try {
      setC(await action());
      setNotice(message);
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  async function saveCredentials(e: FormEvent) {
    e.preventDefault();
    const filled = Object.fromEntries(Object.entries(credentials).filter(([, v]) => v !== ""));
    await act(() => api.updateCredentials(c.id, filled), t("common.saved"));
    setCredentials({});
  }
  const anySet = Object.values(c.credentials).some((s) => s.set);
  /** Teams: the browser leaves for Microsoft's sign-in and comes back through our callback. */
  async function connectOrganizer() {
    setError(undefined);
    try {
      const { authorizeUrl } = await api.startOrganizerConsent(c.id);
      window.location.assign(authorizeUrl);
    } catch (err) {
      setError(err);
    }
  }
  async function disconnectOrganizer() {
    setError(undefined);
    try {
      await api.disconnectOrganizer(c.id);
      setC({ ...c, organizer: null });
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <article className="card" aria-labelledby={`config-${c.id}`} data-testid="configuration">
      <h3 id={`config-${c.id}`}>
        {c.name} <span className="muted">({provider?.label ?? c.provider})</span>
      </h3>
      <dl className="facts">
        <dt>{t("config.health")}</dt>
        <dd data-testid="health">
          <Badge tone={HEALTH_TONE[c.health.status]}>{t(`health.${c.health.status}`)}</Badge>{" "}
          {c.health.message && <span>{c.health.message}</span>}{" "}
          {c.health.checkedAt && (
            <span className="muted">{t("config.checkedAt", { date: dateTime(c.health.checkedAt) })}</span>
          )}
        </dd>
        {c.provider === "teams" && (
          <>
            <dt>{t("config.organizer")}</dt>
            <dd data-testid="organizer">
              {c.organizer
                ? t("config.organizerConnected", {
                    name: c.organizer.name ?? c.organizer.id,
                    date: dateTime(c.organizer.connectedAt),
                  })
                : t("config.organizerNone")}
            </dd>
          </>
        )}
        <dt>{t("config.lastMetrics")}</dt>
        <dd>{c.lastMetricsAt ? dateTime(c.lastMetricsAt) : t("config.never")}</dd>
        {c.pausedUntil && (
          <>
            <dt>{t("config.health")}</dt>
            <dd>{t("config.pausedUntil", { date: dateTime(c.pausedUntil) })}</dd>
          </>
        )}
        {Object.entries(c.settings).map(([k, v]) => (
          <div key={k} className="contents">
            <dt>{humanize(k)}</dt>
            <dd>{v}</dd>
          </div>
        ))}
        <dt>{t("config.credentials")}</dt>
        <dd>
          <ul data-testid="credential-states">
            {Object.entries(c.credentials).map(([k, s]) => (
              <li key={k}>
                {humanize(k)}:{" "}
                {s.set && s.setAt
                  ? t("config.credentialSet", { date: dateTime(s.setAt), name: s.setBy?.name ?? "—" })
                  : t("config.credentialNotSet")}
              </li>
            ))}
          </ul>
        </dd>
      </dl>
      <div className="row">
        <button type="button" onClick={() => void act(() => api.checkConfiguration(c.id))}>
          {t("config.check")}
        </button>
        {c.provider === "teams" && c.enabled && (
          <button type="button" onClick={() => void connectOrganizer()}>
            {c.organizer ? t("config.reconnectOrganizer") : t("config.connectOrganizer")}
          </button>
        )}
        {c.provider === "teams" && c.organizer && (
          <button type="button" onClick={() => void disconnectOrganizer()}>
            {t("config.disconnectOrganizer")}
          </button>
        )}
        {anySet && (
          <button type="button" className="danger" onClick={() => setRemoving(true)}>
            {t("config.remove")}
          </button>
        )}
      </div>
      <p aria-live="polite" role="status">
        {notice}
      </p>
      {error !== undefined && <ErrorNote error={error} />}
      <details>
        <summary>{t("config.replaceCredentials")}</summary>
        <form onSubmit={saveCredentials} noValidate className="form-grid">
          <CredentialInputs
            fields={fields}
            values={credentials}
            onChange={setCredentials}
            errorField={error instanceof ApiError ? error.field : undefined}
            errorMessage={error instanceof Error ? error.message : undefined}
          />
          <button type="submit">{t("config.saveCredentials")}</button>
        </form>
      </details>
      <IssuesPanel configurationId={c.id} />
      <ConfirmDialog
        open={removing}
        text={t("config.removeStatement", { name: c.name, provider: provider?.label ?? c.provider })}
        confirmLabel={t("config.remove")}
        onConfirm={() => {
          setRemoving(false);
          void act(() => api.removeCredentials(c.id), t("config.removed"));
        }}
        onClose={() => setRemoving(false)}
      />
    </article>
  );
}
