// The emails GoTo would send registrants, per the webinar's `emailSettings`
// (specs/goto-webinar/openapi.yml, WebinarEmailSettings on createWebinar and updateWebinar):
// the confirmation when someone registers, the reminder when its time comes by the
// simulator's clock. GoTo documents no reminder time; one day before each webinar's first
// meeting time is this simulator's assumption (README).
import { badRequest } from "./errors.ts";
import type { GotoSimState } from "./state.ts";
import type { SimWebinar } from "./types.ts";

const REMINDER_BEFORE_MS = 86_400_000;

export interface SentEmail {
  webinarKey: string;
  to: string;
  kind: "confirmation" | "reminder";
}

/** Reads `emailSettings` of a create or update body into the webinar; unknown emails are ignored. */
export function applyEmailSettings(
  w: Pick<SimWebinar, "confirmationEmail" | "reminderEmail">,
  raw: unknown,
): void {
  if (raw === undefined) return;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw badRequest("emailSettings must be an object");
  const settings = raw as Record<string, unknown>;
  for (const [name, key] of [
    ["confirmationEmail", "confirmationEmail"],
    ["reminderEmail", "reminderEmail"],
  ] as const) {
    const v = settings[name];
    if (v === undefined) continue;
    const enabled = (v as Record<string, unknown> | null)?.enabled;
    if (typeof enabled !== "boolean") throw badRequest(`emailSettings.${name}.enabled must be a boolean`);
    w[key] = enabled;
  }
}

export function recordConfirmation(state: GotoSimState, w: SimWebinar, to: string): void {
  if (w.confirmationEmail)
    state.sentEmails.push({ webinarKey: String(w.webinarKey), to, kind: "confirmation" });
}

/** Sends, once each, the reminders due by the clock to registrants of future webinars whose reminder is on. */
export function sendDueReminders(state: GotoSimState): void {
  const now = state.now();
  const sent = new Set(
    state.sentEmails.filter((s) => s.kind === "reminder").map((s) => `${s.webinarKey}:${s.to.toLowerCase()}`),
  );
  for (const w of state.webinars.values()) {
    const start = Math.min(...w.times.map((t) => Date.parse(t.startTime)));
    if (w.deleted || !w.reminderEmail || now >= start || now < start - REMINDER_BEFORE_MS) continue;
    for (const r of state.registrantsOf(w.webinarKey)) {
      if (sent.has(`${w.webinarKey}:${r.email.toLowerCase()}`)) continue;
      state.sentEmails.push({ webinarKey: String(w.webinarKey), to: r.email, kind: "reminder" });
    }
  }
}
