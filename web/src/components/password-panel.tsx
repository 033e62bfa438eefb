import { type FormEvent, useState } from "react";
import { ApiError, api } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";
import { useSession } from "../session.tsx";
import { Field } from "./field.tsx";

/** After signing in with a one-time link, the user sets a password for the next time. */
export function PasswordPanel() {
  const { t } = useI18n();
  const { refresh } = useSession();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await api.setPassword(password);
      setPassword("");
      await refresh();
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <section aria-labelledby="password-title" className="panel">
      <h2 id="password-title">{t("password.title")}</h2>
      <form onSubmit={submit} noValidate className="row wrap">
        <Field label={t("password.new")} error={error}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <button type="submit">{t("password.save")}</button>
      </form>
    </section>
  );
}
