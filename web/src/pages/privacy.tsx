import { type FormEvent, useState } from "react";
import { type Contact, type Erasure, type ProviderReach, privacyApi } from "../api/privacy.ts";
import { ActionTable } from "../components/action-table.tsx";
import { ConfirmDialog } from "../components/confirm.tsx";
import { Field } from "../components/field.tsx";
import { RetentionPanel } from "../components/retention-panel.tsx";
import { Badge, ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { providerName } from "../lib/providers.ts";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

const TONE = { pending: "warn", done: "ok", failed: "bad" } as const;

/** How a person is named on the page: their name, or their email when they gave none. */
const who = (c: Contact) => `${c.firstName} ${c.lastName}`.trim() || c.email;

/**
 * Privacy: find a person and export what is held about them (JSON or CSV), erase them (the
 * confirmation names every provider account the erasure will reach), follow each erasure's
 * state per provider, and set the retention periods with a dry-run preview.
 */
export function PrivacyPage() {
  const { t } = useI18n();
  const { me } = useSession();
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Contact[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [erasing, setErasing] = useState<{ contact: Contact; reach: ProviderReach[] } | null>(null);
  const erasures = useLoad(() => privacyApi.erasures(), [me?.organizationId]);

  async function search(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setFound((await privacyApi.findPeople(q.trim())).data);
    } catch (err) {
      setError(err);
    }
  }
  async function askErase(contact: Contact) {
    setError(null);
    try {
      setErasing({ contact, reach: await privacyApi.reach(contact.id) });
    } catch (err) {
      setError(err);
    }
  }
  async function erase(contact: Contact) {
    try {
      await privacyApi.erase(contact.id);
      setFound((found ?? []).filter((c) => c.email !== contact.email));
      erasures.reload();
    } catch (err) {
      setError(err);
    }
  }
  const reachText = (reach: ProviderReach[]) =>
    reach.length === 0
      ? t("privacy.reachNone")
      : t("privacy.reach", {
          accounts: reach
            .map((r) => `${providerName(r.provider)} (${r.configurationName ?? "?"})`)
            .join(", "),
        });

  return (
    <section aria-labelledby="privacy-title">
      <h1 id="privacy-title">{t("privacy.title")}</h1>
      {error ? <ErrorNote error={error} /> : null}
      <form className="row filters" onSubmit={(e) => void search(e)} aria-label={t("common.search")}>
        <Field label={t("privacy.find")}>
          {(props) => (
            <input {...props} type="search" required value={q} onChange={(e) => setQ(e.target.value)} />
          )}
        </Field>
        <button type="submit">{t("common.search")}</button>
      </form>
      {found && found.length === 0 && <p>{t("privacy.noneFound")}</p>}
      {found && found.length > 0 && (
        <ActionTable
          caption={t("privacy.found")}
          rowTestId="person-row"
          rows={found}
          columns={[
            { header: t("members.col.name"), cell: who },
            { header: t("members.col.email"), cell: (c) => c.email },
          ]}
          actions={(c) => (
            <>
              <a href={privacyApi.exportUrl(c.id, "json")} download>
                {t("privacy.exportJson", { name: who(c) })}
              </a>
              <a href={privacyApi.exportUrl(c.id, "csv")} download>
                {t("privacy.exportCsv", { name: who(c) })}
              </a>
              <button type="button" className="danger" onClick={() => void askErase(c)}>
                {t("privacy.erase", { name: who(c) })}
              </button>
            </>
          )}
        />
      )}
      <ConfirmDialog
        open={erasing !== null}
        text={
          erasing
            ? `${t("privacy.eraseConfirm", { email: erasing.contact.email })} ${reachText(erasing.reach)}`
            : ""
        }
        confirmLabel={t("privacy.eraseShort")}
        onClose={() => setErasing(null)}
        onConfirm={() => {
          const target = erasing;
          setErasing(null);
          if (target) void erase(target.contact);
        }}
      />

      <h2>{t("privacy.erasures")}</h2>
      <button type="button" onClick={erasures.reload}>
        {t("privacy.refresh")}
      </button>
      {erasures.error && <ErrorNote error={erasures.error} onRetry={erasures.reload} />}
      {!erasures.data ? <Loading /> : <ErasureTable erasures={erasures.data.data} />}

      <RetentionPanel />
    </section>
  );
}

function ErasureTable({ erasures }: { erasures: Erasure[] }) {
  const { t, dateTime } = useI18n();
  if (erasures.length === 0) return <p>{t("privacy.noErasures")}</p>;
  return (
    <table>
      <caption className="sr-only">{t("privacy.erasures")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("privacy.requested")}</th>
          <th scope="col">{t("privacy.state")}</th>
          <th scope="col">{t("privacy.erased")}</th>
          <th scope="col">{t("privacy.atProviders")}</th>
        </tr>
      </thead>
      <tbody>
        {erasures.map((e) => (
          <tr key={e.id} data-testid="erasure-row">
            <td>{dateTime(e.createdAt)}</td>
            <td>
              <Badge tone={TONE[e.state]}>{t(`privacy.erasureState.${e.state}`)}</Badge>
            </td>
            <td>
              {t("privacy.erasedCounts", {
                contacts: e.contactsErased,
                registrations: e.registrationsErased,
              })}
            </td>
            <td>
              {e.providers.length === 0 ? (
                t("privacy.noProviders")
              ) : (
                <ul className="plain">
                  {e.providers.map((p) => (
                    <li key={p.id} data-testid="erasure-provider">
                      {providerName(p.provider)} ({p.configurationName ?? "?"}):{" "}
                      <Badge tone={TONE[p.state]}>{t(`privacy.erasureState.${p.state}`)}</Badge>{" "}
                      {t("privacy.attempts", { n: p.attempts })}
                      {p.lastError && <div className="muted small">{p.lastError}</div>}
                    </li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
