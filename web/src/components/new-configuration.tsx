import { type FormEvent, useState } from "react";
import { ApiError, api } from "../api/client.ts";
import type { ProviderInfo } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { CredentialInputs } from "./credentials-form.tsx";
import { Field } from "./field.tsx";
import { ErrorNote } from "./status.tsx";

export function NewConfigurationForm({
  providers,
  onCreated,
}: {
  providers: ProviderInfo[];
  onCreated(): void;
}) {
  const { t } = useI18n();
  const [kind, setKind] = useState(providers[0]?.kind ?? "on24");
  const [name, setName] = useState("");
  const [settings, setSettings] = useState<Record<string, string>>({});
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const provider = providers.find((p) => p.kind === kind);
  const fieldError = error instanceof ApiError ? error.field : undefined;
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!provider) return;
    setError(undefined);
    const chosen: Record<string, string> = {};
    for (const f of provider.settingsFields) {
      const v = settings[f.name] ?? f.options?.[0];
      if (v) chosen[f.name] = v;
    }
    try {
      await api.createConfiguration({ provider: kind, name, settings: chosen, credentials });
      setName("");
      setCredentials({});
      onCreated();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section aria-labelledby="new-config-title" className="panel">
      <h2 id="new-config-title">{t("config.new")}</h2>
      <form onSubmit={submit} noValidate className="form-grid">
        <Field
          label={t("config.provider")}
          error={fieldError === "provider" ? String((error as Error).message) : undefined}
        >
          {(p) => (
            <select
              {...p}
              value={kind}
              onChange={(e) => {
                setKind(e.target.value);
                setSettings({});
                setCredentials({});
              }}
            >
              {providers.map((p) => (
                <option key={p.kind} value={p.kind}>
                  {p.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("config.name")} error={fieldError === "name" ? (error as Error).message : undefined}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        {provider?.settingsFields.map((f) => (
          <Field
            key={f.name}
            label={f.label ?? f.name}
            error={fieldError === `settings.${f.name}` ? (error as Error).message : undefined}
          >
            {(p) =>
              f.options ? (
                <select
                  {...p}
                  value={settings[f.name] ?? f.options[0]}
                  onChange={(e) => setSettings({ ...settings, [f.name]: e.target.value })}
                >
                  {f.options.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  {...p}
                  value={settings[f.name] ?? ""}
                  onChange={(e) => setSettings({ ...settings, [f.name]: e.target.value })}
                />
              )
            }
          </Field>
        ))}
        <CredentialInputs
          fields={provider?.credentialFields ?? []}
          values={credentials}
          onChange={setCredentials}
          errorField={fieldError}
          errorMessage={error instanceof Error ? error.message : undefined}
        />
        {error !== undefined && <ErrorNote error={error} />}
        <button type="submit" className="primary">
          {t("config.create")}
        </button>
      </form>
    </section>
  );
}
