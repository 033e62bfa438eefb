import { type FormEvent, useState } from "react";
import { type ApiToken, adminApi } from "../api/admin.ts";
import type { Role } from "../api/types.ts";
import { ActionTable } from "../components/action-table.tsx";
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
        <ActionTable
          caption={t("tokens.title")}
          rowTestId="token-row"
          rows={tokens.data.data}
          columns={[
            { header: t("tokens.name"), cell: (tok) => tok.name },
            { header: t("tokens.role"), cell: (tok) => t(`role.${tok.role}`) },
            { header: t("tokens.prefix"), cell: (tok) => <code>{tok.prefix}…</code> },
            { header: t("tokens.created"), cell: (tok) => dateTime(tok.createdAt) },
            {
              header: t("tokens.lastUsed"),
              cell: (tok) => (tok.lastUsedAt ? dateTime(tok.lastUsedAt) : t("tokens.neverUsed")),
            },
          ]}
          actions={(tok) =>
            tok.revokedAt ? (
              <Badge tone="neutral">{t("tokens.revokedAt", { at: dateTime(tok.revokedAt) })}</Badge>
            ) : (
              <button type="button" className="danger" onClick={() => setRevoking(tok)}>
                {t("tokens.revoke", { name: tok.name })}
              </button>
            )
          }
        />
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
