import { type FormEvent, useRef, useState } from "react";
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
  const [notice, setNotice] = useState<string>();
  const [sending, setSending] = useState(false);
  const emailInput = useRef<HTMLInputElement>(null);
  if (me) return <Navigate to="/events" replace />;
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setNotice(undefined);
    try {
      await api.login(email, password);
      await refresh();
    } catch (err) {
      setError(err);
    }
  }
  /**
   * A sign-in link or a password reset by email. The server answers the same for every
   * address, and so does this page: the notice names the address as typed and says "if it
   * has an account", never whether it has one.
   */
  async function emailMe(send: (address: string) => Promise<unknown>) {
    setError(undefined);
    setNotice(undefined);
    const address = email.trim();
    if (address === "") {
      setNotice(t("signin.emailFirst"));
      emailInput.current?.focus();
      return;
    }
    setSending(true);
    try {
      await send(address);
      setNotice(t("signin.emailed", { email: address }));
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
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
              ref={emailInput}
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
      <div className="row wrap">
        <button type="button" disabled={sending} onClick={() => emailMe(api.emailSignInLink)}>
          {t("signin.emailLink")}
        </button>
        <button type="button" disabled={sending} onClick={() => emailMe(api.emailPasswordReset)}>
          {t("signin.forgot")}
        </button>
      </div>
      <p role="status" aria-live="polite">
        {notice}
      </p>
    </main>
  );
}
