import { type FormEvent, useState } from "react";
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint, webhooksApi } from "../api/webhooks-out.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { Field } from "../components/field.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { Badge, ErrorNote, Loading } from "../components/status.tsx";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";

/**
 * Outgoing webhooks: endpoints with the event types they take, the signing secret shown once
 * (at creation and rotation), a disabled endpoint's alert and reason, recent deliveries with
 * their state, and replaying one.
 */
export function WebhooksPage() {
  const { t } = useI18n();
  const { me } = useSession();
  const endpoints = useLoad(() => webhooksApi.list(), [me?.organizationId]);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<WebhookEndpoint | null>(null);
  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      endpoints.reload();
    } catch (e) {
      setError(e);
    }
  }
  const disabled = endpoints.data?.data.filter((e) => !e.enabled && e.disabledReason) ?? [];
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">{t("webhooks.title")}</h1>
      {disabled.length > 0 && (
        <div role="alert" className="note warn" data-testid="webhooks-alert">
          {t("webhooks.disabledAlert", { n: disabled.length })}
        </div>
      )}
      {error ? <ErrorNote error={error} /> : null}
      {secret && <SecretOnce label={secret.label} value={secret.value} onClose={() => setSecret(null)} />}
      <NewEndpoint
        onCreate={(input) =>
          act(async () => {
            const made = await webhooksApi.create(input);
            setSecret({ label: t("webhooks.secretFor", { url: made.url }), value: made.secret });
          })
        }
      />
      {endpoints.error && <ErrorNote error={endpoints.error} onRetry={endpoints.reload} />}
      {!endpoints.data ? (
        <Loading />
      ) : endpoints.data.data.length === 0 ? (
        <p>{t("webhooks.empty")}</p>
      ) : (
        endpoints.data.data.map((e) => (
          <EndpointCard
            key={e.id}
            endpoint={e}
            onToggle={() => act(() => webhooksApi.setEnabled(e.id, !e.enabled))}
            onRotate={() =>
              act(async () => {
                const r = await webhooksApi.rotate(e.id);
                setSecret({ label: t("webhooks.secretFor", { url: e.url }), value: r.secret });
              })
            }
            onRemove={() => setRemoving(e)}
          />
        ))
      )}
      <ConfirmDialog
        open={removing !== null}
        text={removing ? t("webhooks.removeConfirm", { url: removing.url }) : ""}
        confirmLabel={t("common.delete")}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          const e = removing;
          setRemoving(null);
          if (e) void act(() => webhooksApi.remove(e.id));
        }}
      />
    </section>
  );
}

function NewEndpoint({
  onCreate,
}: {
  onCreate(input: { url: string; eventTypes: string[]; description?: string }): Promise<void>;
}) {
  const { t } = useI18n();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<string[]>(["registration.created", "attendance.updated"]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    await onCreate({ url, eventTypes: types, ...(description ? { description } : {}) });
    setUrl("");
    setDescription("");
  }
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="webhook-new-title">
      <h2 id="webhook-new-title">{t("webhooks.add")}</h2>
      <div className="row">
        <Field label={t("webhooks.url")}>
          {(props) => (
            <input {...props} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
          )}
        </Field>
        <Field label={t("webhooks.description")}>
          {(props) => (
            <input {...props} value={description} onChange={(e) => setDescription(e.target.value)} />
          )}
        </Field>
      </div>
      <fieldset>
        <legend>{t("webhooks.eventTypes")}</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label key={type} className="inline">
            <input
              type="checkbox"
              checked={types.includes(type)}
              onChange={(e) =>
                setTypes(e.target.checked ? [...types, type] : types.filter((x) => x !== type))
              }
            />{" "}
            <code>{type}</code>
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={types.length === 0}>
        {t("webhooks.create")}
      </button>
    </form>
  );
}

function EndpointCard(props: {
  endpoint: WebhookEndpoint;
  onToggle(): void;
  onRotate(): void;
  onRemove(): void;
}) {
  const { t, dateTime } = useI18n();
  const e = props.endpoint;
  const deliveries = useLoad(() => webhooksApi.deliveries(e.id), [e.id, e.enabled]);
  const [replayed, setReplayed] = useState("");
  return (
    <article className="panel" data-testid="webhook-endpoint" aria-label={e.url}>
      <h2>
        <code>{e.url}</code>{" "}
        <Badge tone={e.enabled ? (e.failingSince ? "warn" : "ok") : "bad"}>
          {e.enabled
            ? e.failingSince
              ? t("webhooks.failing")
              : t("webhooks.enabled")
            : t("webhooks.disabled")}
        </Badge>
      </h2>
      {e.description && <p>{e.description}</p>}
      {e.disabledReason && (
        <p className="field-error">
          {t("webhooks.disabledBecause", {
            at: dateTime(e.disabledAt ?? e.createdAt),
            reason: e.disabledReason,
          })}
        </p>
      )}
      {e.failingSince && e.enabled && (
        <p className="muted">{t("webhooks.failingSince", { at: dateTime(e.failingSince) })}</p>
      )}
      <p className="muted">{e.eventTypes.join(", ")}</p>
      <div className="row">
        <button type="button" onClick={props.onToggle}>
          {e.enabled ? t("webhooks.disable") : t("webhooks.enable")}
        </button>
        <button type="button" onClick={props.onRotate}>
          {t("webhooks.rotate")}
        </button>
        <button type="button" className="danger" onClick={props.onRemove}>
          {t("common.delete")}
        </button>
      </div>
      {replayed && <p role="status">{replayed}</p>}
      {deliveries.data && deliveries.data.data.length > 0 && (
        <table>
          <caption>{t("webhooks.deliveries")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("webhooks.when")}</th>
              <th scope="col">{t("webhooks.type")}</th>
              <th scope="col">{t("webhooks.state")}</th>
              <th scope="col">{t("webhooks.attempts")}</th>
              <th scope="col">{t("common.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.data.map((d) => (
              <tr key={d.messageId} data-testid="webhook-delivery">
                <td>{dateTime(d.createdAt)}</td>
                <td>
                  <code>{d.eventType}</code>
                </td>
                <td>
                  {t(`webhooks.deliveryState.${d.state}`)}
                  {d.lastStatus !== null && ` (HTTP ${d.lastStatus})`}
                  {d.lastError && <div className="muted small">{d.lastError}</div>}
                </td>
                <td>{d.attempts}</td>
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      void webhooksApi.replay(e.id, d.messageId).then(
                        () => {
                          setReplayed(t("webhooks.replayed", { id: d.webhookId }));
                          deliveries.reload();
                        },
                        (err: Error) => setReplayed(err.message),
                      )
                    }
                  >
                    {t("webhooks.replay", { id: d.webhookId })}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}
