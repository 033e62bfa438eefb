import type { Role } from "../../db/schema.ts";
import type { EmailLanguage } from "../../db/schema-email.ts";
import {
  type Branding,
  button,
  layout,
  linkLine,
  paragraph,
  type RenderedEmail,
  renderEmail,
} from "../email/templates/layout.ts";

/**
 * The access messages: member invitation, sign-in link, password reset. Each goes only to
 * the address it names, and its link is the secret: the outbox shows it masked.
 */
const ROLE_NAMES: Record<EmailLanguage, Record<Role, string>> = {
  en: { owner: "owner", admin: "admin", marketer: "marketer", viewer: "viewer" },
  nb: { owner: "eier", admin: "administrator", marketer: "markedsfører", viewer: "leser" },
};

const formatDate = (language: EmailLanguage, d: Date) =>
  new Intl.DateTimeFormat(language === "nb" ? "nb-NO" : "en-GB", {
    dateStyle: "long",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(d);

export function invitationEmail(p: {
  language: EmailLanguage;
  branding: Branding;
  inviteeName: string;
  role: Role;
  url: string;
  expiresAt: Date;
}): Promise<RenderedEmail> {
  const org = p.branding.organizationName;
  const role = ROLE_NAMES[p.language][p.role];
  const until = `${formatDate(p.language, p.expiresAt)} UTC`;
  const t =
    p.language === "nb"
      ? {
          subject: `Invitasjon til ${org} i Auditorium`,
          greeting: `Hei ${p.inviteeName},`,
          body: `Du er invitert til å bli med i ${org} i Auditorium som ${role}.`,
          action: "Godta invitasjonen",
          expiry: `Lenken gjelder til ${until} og kan brukes én gang.`,
          ignore:
            "Forventet du ikke denne invitasjonen, kan du se bort fra den: ingenting skjer før du godtar.",
          link: "Eller åpne denne lenken:",
        }
      : {
          subject: `Invitation to ${org} on Auditorium`,
          greeting: `Hello ${p.inviteeName},`,
          body: `You are invited to join ${org} on Auditorium as ${role}.`,
          action: "Accept the invitation",
          expiry: `The link works once, until ${until}.`,
          ignore: "If you did not expect this invitation, ignore it: nothing happens until you accept.",
          link: "Or open this link:",
        };
  return renderEmail(
    t.subject,
    layout({
      language: p.language,
      branding: p.branding,
      preview: t.body,
      children: [
        paragraph(t.greeting),
        paragraph(t.body),
        button(p.branding, p.url, t.action),
        paragraph(t.expiry),
        linkLine(t.link, p.url, { besideButton: true }),
        paragraph(t.ignore),
      ],
    }),
  );
}

export function accountLinkEmail(p: {
  purpose: "sign_in" | "password_reset";
  language: EmailLanguage;
  branding: Branding;
  url: string;
}): Promise<RenderedEmail> {
  const nb = p.language === "nb";
  const t =
    p.purpose === "sign_in"
      ? nb
        ? {
            subject: "Din påloggingslenke til Auditorium",
            body: "Bruk knappen for å logge på Auditorium. Lenken gjelder i 24 timer og kan brukes én gang.",
            action: "Logg på",
          }
        : {
            subject: "Your sign-in link for Auditorium",
            body: "Use the button to sign in to Auditorium. The link works once, within 24 hours.",
            action: "Sign in",
          }
      : nb
        ? {
            subject: "Tilbakestill passordet ditt i Auditorium",
            body: "Bruk knappen for å logge på og velge et nytt passord. Det gamle passordet slutter å virke når du åpner lenken. Lenken gjelder i 24 timer og kan brukes én gang.",
            action: "Velg nytt passord",
          }
        : {
            subject: "Reset your Auditorium password",
            body: "Use the button to sign in and choose a new password. The old password stops working when you open the link. The link works once, within 24 hours.",
            action: "Choose a new password",
          };
  const ignore = nb
    ? "Ba du ikke om dette, kan du se bort fra e-posten."
    : "If you did not ask for this, ignore this email.";
  return renderEmail(
    t.subject,
    layout({
      language: p.language,
      branding: p.branding,
      preview: t.body,
      children: [
        paragraph(t.body),
        button(p.branding, p.url, t.action),
        linkLine(nb ? "Eller åpne denne lenken:" : "Or open this link:", p.url, { besideButton: true }),
        paragraph(ignore),
      ],
    }),
  );
}
