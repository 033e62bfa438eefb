import { useCallback } from "react";
import { useSearchParams } from "react-router";
import { api } from "../api/client.ts";
import { ConfigurationCard } from "../components/configuration-card.tsx";
import { NewConfigurationForm } from "../components/new-configuration.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { TermsPanel } from "../components/terms-panel.tsx";
import { useI18n } from "../i18n/index.tsx";
import { loadProviders } from "../lib/providers.ts";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

/** Administrators: terms, provider accounts and their health, held/failed work. */
export function WebinarSettingsPage() {
  const { t } = useI18n();
  const { can, me } = useSession();
  // Back from Microsoft's sign-in: the callback says how the organizer consent ended.
  const [search] = useSearchParams();
  const organizerBack = search.get("organizer");
  const terms = useLoad(() => api.terms(), [me?.organizationId]);
  const configs = useLoad(() => api.configurations(), [me?.organizationId]);
  const providers = useLoad(loadProviders, []);
  const reloadAll = useCallback(() => {
    terms.reload();
    configs.reload();
  }, [terms.reload, configs.reload]);
  if (!can("admin")) return <p role="alert">{t("settings.adminsOnly")}</p>;
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">{t("settings.title")}</h1>
      {(organizerBack === "connected" || organizerBack === "declined") && (
        <p role="status" data-testid="organizer-notice">
          {t(
            organizerBack === "connected"
              ? "config.organizerBack.connected"
              : "config.organizerBack.declined",
          )}
        </p>
      )}
      {terms.error && <ErrorNote error={terms.error} onRetry={terms.reload} />}
      {terms.data ? <TermsPanel terms={terms.data} onChange={reloadAll} /> : <Loading />}
      <section aria-labelledby="configs-title" className="panel">
        <h2 id="configs-title">{t("config.title")}</h2>
        {configs.error && <ErrorNote error={configs.error} onRetry={configs.reload} />}
        {configs.data?.data.length === 0 && <p>{t("config.empty")}</p>}
        {configs.data?.data.map((c) => (
          <ConfigurationCard
            key={c.id}
            configuration={c}
            provider={providers.data?.find((p) => p.kind === c.provider)}
            onChange={configs.reload}
          />
        ))}
      </section>
      {terms.data?.current && providers.data && (
        <NewConfigurationForm providers={providers.data} onCreated={configs.reload} />
      )}
    </section>
  );
}
