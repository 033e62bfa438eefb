import { useState } from "react";
import { Link, useLocation } from "react-router";
import { api, call } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";
import { useLoad } from "../lib/use-load.ts";
import { useSession } from "../session.tsx";
import { ErrorNote } from "./status.tsx";

interface DemoAccount {
  provider: "on24";
  settings: Record<string, string>;
  credentials: Record<string, string>;
}

/** What is done, read from the API each time (no flag is stored: the state itself is the answer). */
async function firstRunState() {
  const [terms, configurations, events, demo] = await Promise.all([
    api.terms(),
    api.configurations(),
    api.events({ limit: 1 }),
    // Null unless `npm start -- --demo` runs the simulator: then there is nothing to offer.
    call<{ account: DemoAccount | null }>("GET", "/api/v1/demo/webinar-account"),
  ]);
  return {
    terms: terms.accepted !== null,
    provider: configurations.data.length > 0,
    event: events.data.length > 0,
    demo: demo.account,
  };
}

/**
 * The first-run checklist, shown to admins and owners (the ones who can do its steps): set a
 * password, accept the webinar terms, connect a provider account (the demo simulator's in one
 * click when it runs), create the first event. It is gone once all four are done.
 */
export function FirstRunChecklist() {
  const { t } = useI18n();
  const { me, can } = useSession();
  const { pathname } = useLocation();
  // Read again on each page change: a step is usually done on the page its link opens.
  const state = useLoad(
    () => (can("admin") ? firstRunState() : Promise.resolve(null)),
    [me?.organizationId, pathname],
  );
  const [error, setError] = useState<unknown>(null);
  if (!me || !state.data) return null;
  const s = state.data;
  const steps = [
    { key: "password", done: me.user.hasPassword },
    { key: "terms", done: s.terms, to: "/settings/webinars" },
    { key: "provider", done: s.provider, to: "/settings/webinars" },
    { key: "event", done: s.event, to: "/events/new" },
  ] as const;
  const left = steps.filter((step) => !step.done).length;
  if (left === 0) return null;

  async function connectDemo() {
    if (!s.demo) return;
    setError(null);
    try {
      await api.createConfiguration({
        provider: s.demo.provider,
        name: t("firstRun.demoName"),
        settings: s.demo.settings,
        credentials: s.demo.credentials,
      });
      state.reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section aria-labelledby="first-run-title" className="panel" data-testid="first-run">
      <h2 id="first-run-title">{t("firstRun.title")}</h2>
      <p className="muted">{t("firstRun.left", { left, total: steps.length })}</p>
      {error ? <ErrorNote error={error} /> : null}
      <ol>
        {steps.map((step) => (
          <li key={step.key} data-testid={`first-run-${step.key}`} data-done={step.done}>
            <span aria-hidden="true">{step.done ? "✓ " : "○ "}</span>
            {step.done ? t("firstRun.done", { step: t(`firstRun.${step.key}`) }) : t(`firstRun.${step.key}`)}
            {!step.done && "to" in step && (
              <>
                {" "}
                <Link to={step.to}>{t(`firstRun.${step.key}.go`)}</Link>
              </>
            )}
            {!step.done && step.key === "password" && ` ${t("firstRun.password.hint")}`}
            {!step.done && step.key === "provider" && s.demo && s.terms && (
              <>
                {" "}
                <button type="button" onClick={() => void connectDemo()}>
                  {t("firstRun.connectDemo", { clientId: s.demo.credentials.clientId ?? "" })}
                </button>
              </>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
