import { type FormEvent, useState } from "react";
import { Navigate } from "react-router";
import { api } from "../api/client.ts";
import { Field } from "../components/field.tsx";
import { LanguageSwitcher } from "../components/language.tsx";
import { ErrorNote } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useSession } from "../session.tsx";

export function SignInPage() {
  const { t } = useI18n();
  const { me, refresh } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>();
  if (me) return <Navigate to="/events" replace />;
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await api.login(email, password);
      await refresh();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <main id="main" className="narrow">
      <div className="row spread">
        <h1>{t("signin.title")}</h1>
        <LanguageSwitcher />
      </div>
      <p className="muted">{t("signin.hint")}</p>
      <form onSubmit={submit} noValidate>
        <Field label={t("signin.email")}>
          {(p) => (
            <input
              {...p}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label={t("signin.password")}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        {error !== undefined && <ErrorNote error={error} />}
        <button type="submit" className="primary">
          {t("signin.submit")}
        </button>
      </form>
    </main>
  );
}
