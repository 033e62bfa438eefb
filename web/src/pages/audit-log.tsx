import { type FormEvent, useState } from "react";
import { type AuditEntry, type AuditQuery, adminApi, type Member } from "../api/admin.ts";
import { Field } from "../components/field.tsx";
import { ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

const PAGE = 50;

/** A `datetime-local` value (the browser's own zone) as an instant, or nothing. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

/**
 * The audit log: who changed what, when. Filters by actor, action, target and time window;
 * cursor pages ("Load more"); each entry's details (names and numbers only: the log never
 * holds a secret or a personal value).
 */
export function AuditLogPage() {
  const { t, dateTime } = useI18n();
  const { me } = useSession();
  const members = useLoad(() => adminApi.members(), [me?.organizationId]);
  const [draft, setDraft] = useState({ action: "", actorUserId: "", targetId: "", since: "", until: "" });
  const [filters, setFilters] = useState<AuditQuery>({});
  const [extra, setExtra] = useState<{ items: AuditEntry[]; cursor: string | null } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const first = useLoad(async () => {
    setExtra(null);
    return adminApi.audit({ ...filters, limit: PAGE });
  }, [JSON.stringify(filters), me?.organizationId]);
  const items = [...(first.data?.data ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);
  const nameOf = (userId: string | null) =>
    members.data?.data.find((m: Member) => m.id === userId)?.name ?? userId ?? "";

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters({
      action: draft.action.trim() || undefined,
      actorUserId: draft.actorUserId || undefined,
      targetId: draft.targetId.trim() || undefined,
      since: instant(draft.since),
      until: instant(draft.until),
    });
  }
  async function more() {
    if (!cursor) return;
    const page = await adminApi.audit({ ...filters, limit: PAGE, cursor });
    setExtra({ items: [...(extra?.items ?? []), ...page.data], cursor: page.nextCursor });
  }
  const field = (key: keyof typeof draft) => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t("audit.title")}</h1>
      <form className="row filters" onSubmit={apply} aria-label={t("audit.filters")}>
        <Field label={t("audit.actor")}>
          {(props) => (
            <select {...props} {...field("actorUserId")}>
              <option value="">{t("common.all")}</option>
              {members.data?.data.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("audit.action")}>
          {(props) => (
            <input {...props} {...field("action")} placeholder="member.invited" pattern="[a-z_.]+" />
          )}
        </Field>
        <Field label={t("audit.target")}>{(props) => <input {...props} {...field("targetId")} />}</Field>
        <Field label={t("audit.since")}>
          {(props) => <input {...props} type="datetime-local" {...field("since")} />}
        </Field>
        <Field label={t("audit.until")}>
          {(props) => <input {...props} type="datetime-local" {...field("until")} />}
        </Field>
        <button type="submit">{t("audit.apply")}</button>
      </form>
      {first.error && <ErrorNote error={first.error} onRetry={first.reload} />}
      {first.loading && !first.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <p>{t("audit.empty")}</p>
      ) : (
        <table>
          <caption className="sr-only">{t("audit.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("audit.when")}</th>
              <th scope="col">{t("audit.actor")}</th>
              <th scope="col">{t("audit.action")}</th>
              <th scope="col">{t("audit.target")}</th>
              <th scope="col">
                <span className="sr-only">{t("audit.details")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <AuditRow
                key={e.id}
                entry={e}
                actor={
                  e.actor.kind === "user"
                    ? nameOf(e.actor.userId)
                    : e.actor.kind === "token"
                      ? t("audit.byToken", { id: e.actor.tokenId ?? "" })
                      : t("audit.bySystem")
                }
                when={dateTime(e.createdAt)}
                open={open === e.id}
                onToggle={() => setOpen(open === e.id ? null : e.id)}
              />
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void more()}>
          {t("common.loadMore")}
        </button>
      )}
    </section>
  );
}

function AuditRow(props: {
  entry: AuditEntry;
  actor: string;
  when: string;
  open: boolean;
  onToggle(): void;
}) {
  const { t } = useI18n();
  const { entry: e } = props;
  return (
    <>
      <tr data-testid="audit-row">
        <td>{props.when}</td>
        <td>{props.actor}</td>
        <td>
          <code>{e.action}</code>
        </td>
        <td>
          {e.targetType}
          {e.targetId ? ` ${e.targetId}` : ""}
        </td>
        <td>
          {/* Named by its entry (the visible word first): a row of "Details" alone tells a
              keyboard or screen reader user nothing about which one they are on. */}
          <button
            type="button"
            aria-expanded={props.open}
            aria-label={t("audit.detailsOf", { action: e.action, when: props.when })}
            onClick={props.onToggle}
          >
            {t("audit.details")}
          </button>
        </td>
      </tr>
      {props.open && (
        <tr>
          <td colSpan={5}>
            <dl className="details" data-testid="audit-details">
              <dt>{t("audit.requestId")}</dt>
              <dd>
                <code>{e.requestId ?? t("common.none")}</code>
              </dd>
              <dt>{t("audit.details")}</dt>
              <dd>
                <pre>{JSON.stringify(e.details, null, 2)}</pre>
              </dd>
            </dl>
          </td>
        </tr>
      )}
    </>
  );
}
