import type { WebinarRecording } from "../contract.ts";
import type { On24EventMetadata } from "./schemas.ts";

const instant = (s: string | undefined) => {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t);
};

/**
 * ON24's on-demand link from the event's metadata (GET /event/{eventId}): the audience URL,
 * once the archive exists (the processed recording, `singlefilearchive`, is listed) or its
 * window has opened (`archivestart`), until `archiveend`. The audience URL, not the MP4: on
 * ON24's own page viewing still counts as on-demand attendance, and the MP4 link is the
 * organizer's download.
 */
export function on24Recording(ev: On24EventMetadata, now = new Date()): WebinarRecording | null {
  if (!ev.audienceurl) return null;
  const opens = instant(ev.archivestart);
  const closes = instant(ev.archiveend);
  const open = ev.singlefilearchive !== undefined || (opens !== null && opens <= now);
  if (!open || (closes !== null && closes <= now)) return null;
  return { url: ev.audienceurl, kind: "on_demand", availableUntil: closes };
}
