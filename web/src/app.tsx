import { Navigate, Route, Routes } from "react-router";
import { Layout } from "./components/layout.tsx";
import { Loading } from "./components/status.tsx";
import { useI18n } from "./i18n/index.tsx";
import { ApiTokensPage } from "./pages/api-tokens.tsx";
import { AuditLogPage } from "./pages/audit-log.tsx";
import { CheckInDeskPage } from "./pages/checkin-desk.tsx";
import { DashboardPage } from "./pages/dashboard.tsx";
import { EventDetailPage } from "./pages/event-detail.tsx";
import { EventFormPage } from "./pages/event-form.tsx";
import { EventsPage } from "./pages/events.tsx";
import { MembersPage } from "./pages/members.tsx";
import { OutboxPage } from "./pages/outbox.tsx";
import { PrivacyPage } from "./pages/privacy.tsx";
import { PublicConfirmationPage } from "./pages/public-confirmation.tsx";
import { PublicOptInPage } from "./pages/public-opt-in.tsx";
import { PublicRegistrationPage } from "./pages/public-registration.tsx";
import { RegistrationsPage } from "./pages/registrations.tsx";
import { SignInPage } from "./pages/signin.tsx";
import { WebhooksPage } from "./pages/webhooks.tsx";
import { WebinarSettingsPage } from "./pages/webinar-settings.tsx";
import { SessionProvider, useSession } from "./session.tsx";

export function App() {
  return (
    <Routes>
      {/* Public pages: no session, no admin chrome. */}
      <Route path="/e/:slug" element={<PublicRegistrationPage />} />
      <Route path="/r/:token" element={<PublicConfirmationPage />} />
      <Route path="/c/:token" element={<PublicOptInPage />} />
      <Route path="*" element={<AdminApp />} />
    </Routes>
  );
}

function AdminApp() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/signin" element={<SignInPage />} />
        <Route element={<RequireSession />}>
          <Route path="/" element={<Navigate to="/events" replace />} />
          <Route path="/events" element={<EventsPage />} />
          <Route path="/events/new" element={<EventFormPage />} />
          <Route path="/events/:id" element={<EventDetailPage />} />
          <Route path="/events/:id/edit" element={<EventFormPage />} />
          <Route path="/events/:id/registrations" element={<RegistrationsPage />} />
          <Route path="/events/:id/dashboard" element={<DashboardPage />} />
          <Route path="/settings/webinars" element={<WebinarSettingsPage />} />
          <Route path="/outbox" element={<OutboxPage />} />
          <Route path="/members" element={<MembersPage />} />
          <Route path="/api-tokens" element={<ApiTokensPage />} />
          <Route path="/audit" element={<AuditLogPage />} />
          <Route path="/privacy" element={<PrivacyPage />} />
          <Route path="/check-in" element={<CheckInDeskPage />} />
          <Route path="/check-in/:eventId" element={<CheckInDeskPage />} />
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}

function RequireSession() {
  const { me, ready } = useSession();
  if (!ready) return <Loading />;
  if (!me) return <Navigate to="/signin" replace />;
  return <Layout />;
}

function NotFound() {
  const { t } = useI18n();
  return <p>{t("app.notFound")}</p>;
}
