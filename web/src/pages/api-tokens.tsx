import { type FormEvent, useState } from "react";
import { type ApiToken, adminApi } from "../api/admin.ts";
import type { Role } from "../api/types.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { Field } from "../components/field.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { Badge, ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { upTo } from "../lib/roles.ts";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

/**
 * API tokens: create one (its secret is shown once, here, with a copy button, and never
 * again: the API keeps only a hash), list them with their last use, revoke one.
 */
export function ApiTokensPage() {
  const { t, dateTime } = useI18n();
  const { me } = useSession();
  const tokens = useLoad(() => adminApi.apiTokens(), [me?.organizationId]);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("marketer");
  if (!me) return null;
  const roles = upTo(me.role);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const made = await adminApi.createApiToken({ name, role });
      setCreated({ name: made.name, token: made.token });
      setName("");
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function revoke(token: ApiToken) {
    setError(null);
    try {
      await adminApi.revokeApiToken(token.id);
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">{t("tokens.title")}</h1>
      {error ? <ErrorNote error={error} /> : null}
      {created && (
        <SecretOnce
          label={t("tokens.shownOnce", { name: created.name })}
          value={created.token}
          onClose={() => setCreated(null)}
        />
      )}
      <form className="panel" onSubmit={(e) => void create(e)} aria-labelledby="token-new-title">
        <h2 id="token-new-title">{t("tokens.create")}</h2>
        <div className="row">
          <Field label={t("tokens.name")}>
            {(props) => (
              <input
                {...props}
                required
                maxLength={100}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field label={t("tokens.role")}>
            {(props) => (
              <select {...props} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {t(`role.${r}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <button type="submit">{t("tokens.createSubmit")}</button>
      </form>
      {tokens.error && <ErrorNote error={tokens.error} onRetry={tokens.reload} />}
      {!tokens.data ? (
        <Loading />
      ) : tokens.data.data.length === 0 ? (
        <p>{t("tokens.empty")}</p>
      ) : (
        <table>
          <caption className="sr-only">{t("tokens.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("tokens.name")}</th>
              <th scope="col">{t("tokens.role")}</th>
              <th scope="col">{t("tokens.prefix")}</th>
              <th scope="col">{t("tokens.created")}</th>
              <th scope="col">{t("tokens.lastUsed")}</th>
              <th scope="col">{t("common.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.data.map((tok) => (
              <tr key={tok.id} data-testid="token-row">
                <td>{tok.name}</td>
                <td>{t(`role.${tok.role}`)}</td>
                <td>
                  <code>{tok.prefix}…</code>
                </td>
                <td>{dateTime(tok.createdAt)}</td>
                <td>{tok.lastUsedAt ? dateTime(tok.lastUsedAt) : t("tokens.neverUsed")}</td>
                <td>
                  {tok.revokedAt ? (
                    <Badge tone="neutral">{t("tokens.revokedAt", { at: dateTime(tok.revokedAt) })}</Badge>
                  ) : (
                    <button type="button" className="danger" onClick={() => setRevoking(tok)}>
                      {t("tokens.revoke", { name: tok.name })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={revoking !== null}
        text={revoking ? t("tokens.revokeConfirm", { name: revoking.name }) : ""}
        confirmLabel={t("tokens.revokeShort")}
        onClose={() => setRevoking(null)}
        onConfirm={() => {
          const tok = revoking;
          setRevoking(null);
          if (tok) void revoke(tok);
        }}
      />
    </section>
  );
}
