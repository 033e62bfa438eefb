import { NavLink, Outlet, useNavigate } from "react-router";
import { api } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";
import { useSession } from "../session.tsx";
import { FirstRunChecklist } from "./first-run.tsx";
import { LanguageSwitcher } from "./language.tsx";
import { PasswordPanel } from "./password-panel.tsx";

/** The signed-in frame: navigation (by role), organization switcher, language, sign-out. */
export function Layout() {
  const { t } = useI18n();
  const { me, can, refresh, signOut } = useSession();
  const navigate = useNavigate();
  if (!me) return null;
  async function switchTo(organizationId: string) {
    await api.switchOrganization(organizationId);
    await refresh();
    navigate("/events");
  }
  return (
    <>
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <header className="topbar">
        <strong className="brand">{t("app.name")}</strong>
        <nav aria-label={t("nav.main")}>
          <NavLink to="/events">{t("nav.events")}</NavLink>
          <NavLink to="/check-in">{t("nav.checkIn")}</NavLink>
          {can("admin") && <NavLink to="/settings/webinars">{t("nav.webinarSettings")}</NavLink>}
          {can("admin") && <NavLink to="/outbox">{t("nav.outbox")}</NavLink>}
          {can("admin") && <NavLink to="/members">{t("nav.members")}</NavLink>}
          {can("admin") && <NavLink to="/api-tokens">{t("nav.apiTokens")}</NavLink>}
          {can("admin") && <NavLink to="/audit">{t("nav.audit")}</NavLink>}
          {can("admin") && <NavLink to="/privacy">{t("nav.privacy")}</NavLink>}
          {can("admin") && <NavLink to="/webhooks">{t("nav.webhooks")}</NavLink>}
        </nav>
        <div className="row">
          <label className="inline">
            <span>{t("nav.organization")}</span>
            <select
              value={me.organizationId}
              onChange={(e) => void switchTo(e.target.value)}
              data-testid="org-switcher"
            >
              {me.organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
          <span className="muted">{t("nav.role", { role: t(`role.${me.role}`) })}</span>
          <LanguageSwitcher />
          <button
            type="button"
            onClick={async () => {
              await signOut();
              navigate("/signin");
            }}
          >
            {t("nav.signOut")}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <FirstRunChecklist />
        {!me.user.hasPassword && <PasswordPanel />}
        <Outlet />
      </main>
    </>
  );
}
