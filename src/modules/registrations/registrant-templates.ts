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
 * The registrant messages' words, in English and Norsk bokmål, and their layout. Each
 * function takes plain values (no database), so a message reads the same wherever it is
 * sent from.
 */
export interface EventFacts {
  title: string;
  startsAt: Date;
  timeZone: string;
  isWebinar: boolean;
}

/** An event row's facts for the messages: anything not on site has a webinar to join. */
export function eventFacts(event: {
  title: string;
  starts_at: Date;
  time_zone: string;
  format: string;
}): EventFacts {
  return {
    title: event.title,
    startsAt: event.starts_at,
    timeZone: event.time_zone,
    isWebinar: event.format !== "onsite",
  };
}

/** The event's language tag → a message language (nb, nn and no read bokmål; others English). */
export const messageLanguage = (tag: string): EmailLanguage => (/^(nb|no|nn)\b/i.test(tag) ? "nb" : "en");

export function when(event: EventFacts, language: EmailLanguage) {
  const formatted = new Intl.DateTimeFormat(language === "nb" ? "nb-NO" : "en-GB", {
    dateStyle: "full",
    timeStyle: "short",
    timeZone: event.timeZone,
  }).format(event.startsAt);
  return `${formatted} (${event.timeZone})`;
}

const WORDS = {
  en: {
    hello: (name: string) => `Hello ${name},`,
    registeredSubject: (t: string) => `You are registered: ${t}`,
    waitlistedSubject: (t: string) => `You are on the waiting list: ${t}`,
    registered: (t: string, w: string) => `You are registered for ${t}, ${w}.`,
    waitlisted: (t: string, w: string) =>
      `${t} (${w}) is full, so you are on the waiting list. We will write to you if a place opens up.`,
    join: "Join the webinar",
    joinNote: "This link is yours alone; it opens the webinar once it starts. Please do not share it.",
    page: "Your registration page (calendar file, cancelling):",
    calendar: "The attached calendar file adds the event to your calendar.",
    confirmSubject: (t: string) => `Confirm your registration: ${t}`,
    confirm: (t: string, w: string) => `Please confirm that you want to register for ${t}, ${w}.`,
    confirmButton: "Confirm my registration",
    confirmExpiry: (at: string) =>
      `The link works once, until ${at}. If you did not ask for this, ignore this message.`,
    promotedSubject: (t: string) => `A place opened up: you are registered for ${t}`,
    promoted: (t: string, w: string) =>
      `Good news: a place opened up, and you are now registered for ${t}, ${w}.`,
    cancelledSubject: (t: string) => `Your registration is cancelled: ${t}`,
    cancelled: (t: string, w: string) =>
      `Your registration for ${t} (${w}) is cancelled. The attached calendar file removes it from your calendar.`,
    rescheduledSubject: (t: string) => `New time: ${t}`,
    rescheduled: (t: string, w: string) =>
      `${t} has a new time: ${w}. The attached calendar file updates the entry in your calendar.`,
    eventCancelledSubject: (t: string) => `Cancelled: ${t}`,
    eventCancelled: (t: string, w: string) =>
      `${t}, planned for ${w}, is cancelled. The attached calendar file removes it from your calendar.`,
    attendedSubject: (t: string) => `Thank you for joining ${t}`,
    attended: (t: string) => `Thank you for taking part in ${t}. We hope it was worth your time.`,
    missedSubject: (t: string) => `Sorry we missed you at ${t}`,
    missed: (t: string) => `We missed you at ${t}. Perhaps next time.`,
    recording: "Watch the recording",
    reminderSubject: (t: string) => `Reminder: ${t}`,
    reminder: (t: string, w: string) => `A reminder: ${t} starts ${w}.`,
    reminderNoJoin: "Your join link is in the confirmation we sent you.",
    eventPage: "The event page:",
    unsubscribe: "No more reminders or follow-ups for you:",
    alreadySubject: (t: string) => `You are already registered: ${t}`,
    already: (t: string) =>
      `Someone, probably you, asked to register this address for ${t} again. You are already registered: use the link in the confirmation we sent earlier. If this was not you, you can ignore this message.`,
  },
  nb: {
    hello: (name: string) => `Hei ${name},`,
    registeredSubject: (t: string) => `Du er påmeldt: ${t}`,
    waitlistedSubject: (t: string) => `Du står på venteliste: ${t}`,
    registered: (t: string, w: string) => `Du er påmeldt ${t}, ${w}.`,
    waitlisted: (t: string, w: string) =>
      `${t} (${w}) er fullt, så du står på venteliste. Vi skriver til deg hvis det blir ledig plass.`,
    join: "Bli med på webinaret",
    joinNote: "Lenken er bare din; den åpner webinaret når det starter. Ikke del den med andre.",
    page: "Påmeldingssiden din (kalenderfil, avbestilling):",
    calendar: "Den vedlagte kalenderfilen legger arrangementet inn i kalenderen din.",
    confirmSubject: (t: string) => `Bekreft påmeldingen din: ${t}`,
    confirm: (t: string, w: string) => `Bekreft at du vil melde deg på ${t}, ${w}.`,
    confirmButton: "Bekreft påmeldingen",
    confirmExpiry: (at: string) =>
      `Lenken virker én gang, fram til ${at}. Har du ikke bedt om dette, kan du se bort fra meldingen.`,
    promotedSubject: (t: string) => `Det ble ledig plass: du er påmeldt ${t}`,
    promoted: (t: string, w: string) => `Gode nyheter: det ble ledig plass, og du er nå påmeldt ${t}, ${w}.`,
    cancelledSubject: (t: string) => `Påmeldingen din er avbestilt: ${t}`,
    cancelled: (t: string, w: string) =>
      `Påmeldingen din til ${t} (${w}) er avbestilt. Den vedlagte kalenderfilen fjerner den fra kalenderen din.`,
    rescheduledSubject: (t: string) => `Nytt tidspunkt: ${t}`,
    rescheduled: (t: string, w: string) =>
      `${t} har fått nytt tidspunkt: ${w}. Den vedlagte kalenderfilen oppdaterer oppføringen i kalenderen din.`,
    eventCancelledSubject: (t: string) => `Avlyst: ${t}`,
    eventCancelled: (t: string, w: string) =>
      `${t}, planlagt ${w}, er avlyst. Den vedlagte kalenderfilen fjerner det fra kalenderen din.`,
    attendedSubject: (t: string) => `Takk for at du var med på ${t}`,
    attended: (t: string) => `Takk for at du deltok på ${t}. Vi håper det var verdt tiden din.`,
    missedSubject: (t: string) => `Vi savnet deg på ${t}`,
    missed: (t: string) => `Vi savnet deg på ${t}. Kanskje neste gang.`,
    recording: "Se opptaket",
    reminderSubject: (t: string) => `Påminnelse: ${t}`,
    reminder: (t: string, w: string) => `En påminnelse: ${t} starter ${w}.`,
    reminderNoJoin: "Deltakerlenken din står i bekreftelsen vi sendte deg.",
    eventPage: "Arrangementssiden:",
    unsubscribe: "Ingen flere påminnelser eller oppfølginger til deg:",
    alreadySubject: (t: string) => `Du er allerede påmeldt: ${t}`,
    already: (t: string) =>
      `Noen, sannsynligvis du, ba om å melde denne adressen på ${t} igjen. Du er allerede påmeldt: bruk lenken i bekreftelsen vi sendte tidligere. Var det ikke deg, kan du se bort fra meldingen.`,
  },
} as const;

export interface Common {
  language: EmailLanguage;
  branding: Branding;
  firstName: string;
  event: EventFacts;
}

/** The confirmation's subject, on its own: the outbox row has it before the body is rendered. */
export function confirmationSubject(
  language: EmailLanguage,
  title: string,
  status: "registered" | "waitlisted",
  promoted: boolean,
) {
  const w = WORDS[language];
  return promoted
    ? w.promotedSubject(title)
    : status === "registered"
      ? w.registeredSubject(title)
      : w.waitlistedSubject(title);
}

export function registrationConfirmation(
  p: Common & { status: "registered" | "waitlisted"; joinUrl: string; pageUrl: string; promoted?: boolean },
): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const time = when(p.event, p.language);
  const placed = p.status === "registered";
  const subject = confirmationSubject(p.language, p.event.title, p.status, p.promoted ?? false);
  const lead = p.promoted
    ? w.promoted(p.event.title, time)
    : placed
      ? w.registered(p.event.title, time)
      : w.waitlisted(p.event.title, time);
  const children = [
    paragraph(w.hello(p.firstName)),
    paragraph(lead),
    ...(placed && p.event.isWebinar
      ? [
          button(p.branding, p.joinUrl, w.join),
          linkLine(`${w.join}:`, p.joinUrl, { besideButton: true }),
          paragraph(w.joinNote),
        ]
      : []),
    ...(placed ? [paragraph(w.calendar)] : []),
    linkLine(w.page, p.pageUrl),
  ];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}

/** The subjects of the messages the public form causes, on their own (written before the body). */
export const confirmationRequestSubject = (language: EmailLanguage, title: string) =>
  WORDS[language].confirmSubject(title);
export const alreadyRegisteredSubject = (language: EmailLanguage, title: string) =>
  WORDS[language].alreadySubject(title);

export function confirmationRequest(
  p: Common & { confirmUrl: string; expiresAt: Date },
): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const subject = w.confirmSubject(p.event.title);
  const expiry = when({ ...p.event, startsAt: p.expiresAt }, p.language);
  const children = [
    paragraph(w.hello(p.firstName)),
    paragraph(w.confirm(p.event.title, when(p.event, p.language))),
    button(p.branding, p.confirmUrl, w.confirmButton),
    linkLine(`${w.confirmButton}:`, p.confirmUrl, { besideButton: true }),
    paragraph(w.confirmExpiry(expiry)),
  ];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}

export function alreadyRegistered(p: Common): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const subject = w.alreadySubject(p.event.title);
  const children = [paragraph(w.hello(p.firstName)), paragraph(w.already(p.event.title))];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}

export function reminder(
  p: Common & { joinUrl: string | null; eventUrl: string; unsubscribeUrl: string },
): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const subject = w.reminderSubject(p.event.title);
  const children = [
    paragraph(w.hello(p.firstName)),
    paragraph(w.reminder(p.event.title, when(p.event, p.language))),
    ...(p.event.isWebinar
      ? p.joinUrl
        ? [
            button(p.branding, p.joinUrl, w.join),
            linkLine(`${w.join}:`, p.joinUrl, { besideButton: true }),
            paragraph(w.joinNote),
          ]
        : [paragraph(w.reminderNoJoin)]
      : []),
    linkLine(w.eventPage, p.eventUrl),
    linkLine(w.unsubscribe, p.unsubscribeUrl),
  ];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}

export function cancellationNotice(p: Common): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const subject = w.cancelledSubject(p.event.title);
  const children = [
    paragraph(w.hello(p.firstName)),
    paragraph(w.cancelled(p.event.title, when(p.event, p.language))),
  ];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}

/** The event moved (`rescheduled`) or was called off (`cancelled`). */
export function eventChangeNotice(
  p: Common & { change: "rescheduled" | "cancelled"; joinUrl: string | null },
): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const time = when(p.event, p.language);
  const moved = p.change === "rescheduled";
  const subject = moved ? w.rescheduledSubject(p.event.title) : w.eventCancelledSubject(p.event.title);
  const children = [
    paragraph(w.hello(p.firstName)),
    paragraph(moved ? w.rescheduled(p.event.title, time) : w.eventCancelled(p.event.title, time)),
    ...(moved && p.event.isWebinar && p.joinUrl
      ? [button(p.branding, p.joinUrl, w.join), linkLine(`${w.join}:`, p.joinUrl, { besideButton: true })]
      : []),
  ];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}

/** After the event: attended or not; the recording when the provider gave one. */
export function followUp(
  p: Common & { attended: boolean; recordingUrl: string | null; eventUrl: string; unsubscribeUrl: string },
): Promise<RenderedEmail> {
  const w = WORDS[p.language];
  const subject = p.attended ? w.attendedSubject(p.event.title) : w.missedSubject(p.event.title);
  const children = [
    paragraph(w.hello(p.firstName)),
    paragraph(p.attended ? w.attended(p.event.title) : w.missed(p.event.title)),
    ...(p.recordingUrl
      ? [
          button(p.branding, p.recordingUrl, w.recording),
          linkLine(`${w.recording}:`, p.recordingUrl, { besideButton: true }),
        ]
      : []),
    linkLine(w.eventPage, p.eventUrl),
    linkLine(w.unsubscribe, p.unsubscribeUrl),
  ];
  return renderEmail(
    subject,
    layout({ language: p.language, branding: p.branding, preview: subject, children }),
  );
}
