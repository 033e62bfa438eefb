/**
 * Pure value mappings of the Zoom adapter: our webinar and person values to Zoom request bodies
 * (limits from WebinarsCreateWebinarRequestBody / AddWebinarRegistrant), and participant report
 * rows (one per join segment) to one attendance record per person.
 */
import { isValidTimeZone } from "../../lib/time.ts";
import {
  type AttendanceRecord,
  ProviderError,
  type RegistrantSpec,
  type WebinarRecording,
  type WebinarSpec,
} from "../contract.ts";
import { type LiveAttendance, liveAttendanceRecord } from "../live-attendance.ts";
import { withReference } from "../reference.ts";
import { customQuestionAnswers } from "./questions.ts";
import { ZOOM_WEBINAR_TYPES, type ZoomParticipant, type ZoomRecordings } from "./schemas.ts";

const MAX_TOPIC = 200;
const MAX_AGENDA = 2000;
const MAX_NAME = 64;

const invalid = (message: string) => new ProviderError("invalid", message);

/** Cuts on code points so a surrogate pair is never split. */
function cut(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? text.trim() : chars.slice(0, max).join("").trimEnd();
}

/** Zoom ids in paths: digits for webinars; anything else would be a bug or an injection. */
export function webinarPath(id: string): string {
  if (!/^\d{1,20}$/.test(id)) throw invalid("Zoom webinar id must be numeric");
  return `/webinars/${id}`;
}

/** "yyyy-MM-ddTHH:mm:ssZ": Zoom's GMT form of `start_time` (no milliseconds). */
export const zoomStartTime = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

export function webinarBody(spec: WebinarSpec, forCreate: boolean): Record<string, unknown> {
  const minutes = Math.ceil((spec.endsAt.getTime() - spec.startsAt.getTime()) / 60_000);
  if (!Number.isFinite(minutes) || minutes <= 0) throw invalid("webinar must end after it starts");
  if (!isValidTimeZone(spec.timeZone)) throw invalid("Zoom needs a valid IANA time zone");
  const topic = cut(spec.title, MAX_TOPIC);
  if (topic === "") throw invalid("Zoom requires a non-empty topic");
  const type = spec.webinarType ?? "5";
  if (!ZOOM_WEBINAR_TYPES.some((t) => t.id === type))
    throw invalid('Zoom webinar type must be "5", "6" or "9"');
  const body: Record<string, unknown> = {
    topic,
    // Our reference is the agenda's last line: Zoom's webinar listing returns the agenda and no
    // field of ours, so this is how a create whose answer was lost is found (docs/webinars.md).
    agenda: withReference(spec.description, spec.externalRef, MAX_AGENDA),
    start_time: zoomStartTime(spec.startsAt),
    duration: minutes,
    timezone: spec.timeZone,
  };
  if (forCreate) {
    body.type = Number(type);
    // Automatic approval and one registration for all occurrences: registrants get their
    // personal join_url at once, as the sync engine expects.
    body.settings = { approval_type: 0, registration_type: 1 };
    // Type 9 needs a recurrence; our spec has one occurrence, so it is a daily series of one.
    if (type === "9") body.recurrence = { type: 1, repeat_interval: 1, end_times: 1 };
  }
  // One sender, never two: Zoom's own confirmation and reminder emails follow the choice.
  // https://developers.zoom.us/docs/api/meetings/#tag/webinars/PATCH/webinars/{webinarId}
  // (node_modules/@zoom/rivet: settings.registrants_confirmation_email, registrants_email_notification)
  if (spec.providerSendsRegistrantEmails !== undefined) {
    const on = spec.providerSendsRegistrantEmails;
    body.settings = {
      ...((body.settings as Record<string, unknown> | undefined) ?? {}),
      registrants_confirmation_email: on,
      registrants_email_notification: on,
    };
  }
  return body;
}

export function registrantBody(person: RegistrantSpec): Record<string, unknown> {
  const first = cut(person.firstName, MAX_NAME);
  // first_name is required by Zoom; a person without one is registered under their e-mail's local part.
  const body: Record<string, string> = {
    email: person.email,
    first_name: first === "" ? cut(person.email.split("@")[0] ?? "-", MAX_NAME) : first,
  };
  const last = cut(person.lastName, MAX_NAME);
  if (last !== "") body.last_name = last;
  if (person.company?.trim()) body.org = cut(person.company, 200);
  if (person.jobTitle?.trim()) body.job_title = cut(person.jobTitle, 200);
  if (person.answers?.length) return { ...body, custom_questions: customQuestionAnswers(person.answers) };
  return body;
}

const minDate = (a: Date | null, b: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b));
const maxDate = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));

/** Splits Zoom's display name into first and last for walk-ins; the registrant record is better when known. */
function splitName(name: string | undefined): { firstName: string | null; lastName: string | null } {
  const parts = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { firstName: null, lastName: null };
  return { firstName: parts[0] ?? null, lastName: parts.length > 1 ? parts.slice(1).join(" ") : null };
}

/**
 * One record per person: rows are grouped by registrant id, else by lower-cased e-mail; rows with
 * neither (anonymous attendees) cannot be matched to anyone and are skipped. Minutes are the
 * summed segment seconds, rounded, with any attendance below a minute counted as one.
 */
export function sumParticipants(rows: ZoomParticipant[]): AttendanceRecord[] {
  const people = new Map<string, LiveAttendance>();
  for (const row of rows) {
    const email = row.user_email?.trim() ?? "";
    if (email === "") continue;
    const key = row.registrant_id ? `r:${row.registrant_id}` : `e:${email.toLowerCase()}`;
    const join = row.join_time ? new Date(row.join_time) : null;
    const leave = row.leave_time ? new Date(row.leave_time) : null;
    let entry = people.get(key);
    if (!entry) {
      entry = {
        providerRegistrantId: row.registrant_id ?? `email:${email.toLowerCase()}`,
        email,
        ...splitName(row.name),
        seconds: 0,
        firstActivityAt: null,
        lastActivityAt: null,
      };
      people.set(key, entry);
    }
    entry.seconds += row.duration ?? 0;
    entry.firstActivityAt = minDate(entry.firstActivityAt, join);
    entry.lastActivityAt = maxDate(entry.lastActivityAt, leave);
  }
  return [...people.values()].map(liveAttendanceRecord);
}

/**
 * The link registrants can watch a Zoom cloud recording at: the share page, else the MP4's
 * play page; with the play passcode spliced in as `?pwd=`, as Zoom's reference says to, so
 * the person is not asked for it. Null while no completed file exists.
 */
export function zoomRecording(res: ZoomRecordings): WebinarRecording | null {
  const mp4 = res.recording_files?.find(
    (f) => f.file_type === "MP4" && f.status === "completed" && !f.deleted_time && f.play_url,
  );
  const base = res.share_url ?? mp4?.play_url;
  // Zoom lists a recording while it is still processing: wait for a completed video.
  if (!mp4 || !base) return null;
  const url = new URL(base);
  if (res.recording_play_passcode && !url.searchParams.has("pwd"))
    url.searchParams.set("pwd", res.recording_play_passcode);
  const until = res.auto_delete_date ? new Date(`${res.auto_delete_date.slice(0, 10)}T00:00:00Z`) : null;
  return {
    url: url.toString(),
    kind: "recording",
    availableUntil: until && !Number.isNaN(until.getTime()) ? until : null,
  };
}
