import { useState } from "react";
import { api } from "../api/client.ts";
import type { Reconciliation } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";
import { ErrorNote } from "./status.tsx";

const WAITING = new Set(["queued", "running", "deferred"]);
const POLL_MS = 1000;
const POLL_TRIES = 120;

/**
 * Reconciles one webinar with its provider's registrant list on demand, and shows the latest
 * run's drift: registrations made at the provider that came back, ours missing there, and the
 * cancellations that came back (docs/webinars.md, "Reconciliation").
 */
export function ReconcileControl({ webinarId, onDone }: { webinarId: string; onDone?: () => void }) {
  const { t, dateTime, number } = useI18n();
  const { can } = useSession();
  const runs = useLoad(() => api.reconciliations(webinarId), [webinarId]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const latest: Reconciliation | undefined = runs.data?.data[0];

  async function reconcile() {
    setError(undefined);
    setBusy(true);
    try {
      const run = await api.reconcileWebinar(webinarId);
      // The run is done by a worker: follow it until it finishes (or stop asking after a while).
      for (let i = 0; i < POLL_TRIES; i++) {
        const now = (await api.reconciliations(webinarId)).data.find((r) => r.id === run.id);
        if (now && !WAITING.has(now.state)) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      runs.reload();
      // The panel's sync counts now include the people who came back.
      onDone?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const n = (v: number | null) => (v === null ? "–" : number(v));
  return (
    <div className="reconcile" data-testid="reconcile">
      {/* Viewers see the latest drift; asking for a run is a marketer's. */}
      {can("marketer") && (
        <button type="button" onClick={() => void reconcile()} disabled={busy}>
          {busy ? t("event.reconciling") : t("event.reconcile")}
        </button>
      )}
      <div className="muted" role="status" data-testid="reconcile-summary">
        {latest ? (
          <>
            {t("event.reconcileState", {
              when: dateTime(latest.finishedAt ?? latest.requestedAt),
              state: latest.state,
            })}
            {latest.state === "done" ? (
              <div>
                {t("event.reconcileDrift", {
                  registered: n(latest.provider.registered),
                  cancelled: n(latest.provider.cancelled),
                  theirs: n(latest.drift.theirsMissingHere),
                  added: n(latest.drift.addedHere),
                  ours: n(latest.drift.oursMissingThere),
                  cancelledHere: n(latest.drift.cancelledHere),
                })}
              </div>
            ) : (
              latest.reason && <div className="field-error">{latest.reason}</div>
            )}
          </>
        ) : (
          t("event.reconcileNever")
        )}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
    </div>
  );
}
