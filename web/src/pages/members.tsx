import { type FormEvent, useState } from "react";
import { adminApi, type Member } from "../api/admin.ts";
import type { Role } from "../api/types.ts";
import { ActionTable } from "../components/action-table.tsx";
import { ConfirmDialog } from "../components/confirm.tsx";
import { Field } from "../components/field.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { grantable } from "../lib/roles.ts";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

/**
 * Members and invitations: list, invite (the link goes by email to the invitee only), change a
 * role, remove. Actions the caller's role may not take are not shown at all.
 */
export function MembersPage() {
  const { t, dateTime, locale } = useI18n();
  const { me } = useSession();
  const members = useLoad(() => adminApi.members(), [me?.organizationId]);
  const invitations = useLoad(() => adminApi.invitations(), [me?.organizationId]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [removing, setRemoving] = useState<Member | null>(null);
  if (!me) return null;
  const mayGrant = grantable(me.role);
  const mayManage = (m: Member) => m.id !== me.user.id && mayGrant.includes(m.role);

  async function act(action: () => Promise<unknown>, done: string) {
    setError(null);
    try {
      await action();
      setNotice(done);
      members.reload();
      invitations.reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">{t("members.title")}</h1>
      {error ? <ErrorNote error={error} /> : null}
      {notice && (
        <p role="status" className="note">
          {notice}
        </p>
      )}
      {members.error && <ErrorNote error={members.error} onRetry={members.reload} />}
      {!members.data ? (
        <Loading />
      ) : (
        <ActionTable
          caption={t("members.title")}
          rowTestId="member-row"
          rows={members.data.data}
          columns={[
            { header: t("members.col.name"), cell: (m) => m.name },
            { header: t("members.col.email"), cell: (m) => m.email },
            {
              header: t("members.col.role"),
              cell: (m) =>
                mayManage(m) ? (
                  <select
                    aria-label={t("members.roleOf", { name: m.name })}
                    value={m.role}
                    onChange={(e) =>
                      void act(
                        () => adminApi.changeRole(m.id, e.target.value as Role),
                        t("members.roleChanged", { name: m.name }),
                      )
                    }
                  >
                    {mayGrant.map((r) => (
                      <option key={r} value={r}>
                        {t(`role.${r}`)}
                      </option>
                    ))}
                  </select>
                ) : (
                  t(`role.${m.role}`)
                ),
            },
            { header: t("members.col.since"), cell: (m) => dateTime(m.createdAt) },
          ]}
          actions={(m) =>
            mayManage(m) && (
              <button type="button" className="danger" onClick={() => setRemoving(m)}>
                {t("members.remove", { name: m.name })}
              </button>
            )
          }
        />
      )}
      <ConfirmDialog
        open={removing !== null}
        text={removing ? t("members.removeConfirm", { name: removing.name, email: removing.email }) : ""}
        confirmLabel={t("common.delete")}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          const m = removing;
          setRemoving(null);
          if (m) void act(() => adminApi.removeMember(m.id), t("members.removed", { name: m.name }));
        }}
      />

      <InviteForm
        roles={mayGrant}
        defaultLanguage={locale}
        onInvite={(input) => act(() => adminApi.invite(input), t("members.invited", { email: input.email }))}
      />

      <h2>{t("members.pending")}</h2>
      {invitations.error && <ErrorNote error={invitations.error} onRetry={invitations.reload} />}
      {invitations.data && invitations.data.data.length === 0 && <p>{t("members.noPending")}</p>}
      {invitations.data && invitations.data.data.length > 0 && (
        <ActionTable
          caption={t("members.pending")}
          rowTestId="invitation-row"
          rows={invitations.data.data}
          columns={[
            { header: t("members.col.email"), cell: (i) => i.email },
            { header: t("members.col.role"), cell: (i) => t(`role.${i.role}`) },
            { header: t("members.col.expires"), cell: (i) => dateTime(i.expiresAt) },
          ]}
          actions={(i) =>
            mayGrant.includes(i.role) && (
              <button
                type="button"
                onClick={() =>
                  void act(
                    () => adminApi.withdrawInvitation(i.id),
                    t("members.withdrawn", { email: i.email }),
                  )
                }
              >
                {t("members.withdraw", { email: i.email })}
              </button>
            )
          }
        />
      )}
    </section>
  );
}

function InviteForm({
  roles,
  defaultLanguage,
  onInvite,
}: {
  roles: Role[];
  defaultLanguage: "en" | "nb";
  onInvite(input: { email: string; name: string; role: Role; language: "en" | "nb" }): Promise<void>;
}) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [language, setLanguage] = useState<"en" | "nb">(defaultLanguage);
  async function submit(e: FormEvent) {
    e.preventDefault();
    await onInvite({ email, name, role, language });
    setEmail("");
    setName("");
  }
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="invite-title">
      <h2 id="invite-title">{t("members.invite")}</h2>
      <p className="muted">{t("members.inviteHint")}</p>
      <div className="row">
        <Field label={t("members.col.email")}>
          {(props) => (
            <input
              {...props}
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label={t("members.col.name")}>
          {(props) => (
            <input
              {...props}
              required
              maxLength={200}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field label={t("members.col.role")}>
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
        <Field label={t("members.language")}>
          {(props) => (
            <select {...props} value={language} onChange={(e) => setLanguage(e.target.value as "en" | "nb")}>
              <option value="en">English</option>
              <option value="nb">Norsk bokmål</option>
            </select>
          )}
        </Field>
      </div>
      <button type="submit">{t("members.sendInvitation")}</button>
    </form>
  );
}
