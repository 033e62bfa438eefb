// Past sessions and their attendees (GoToWebinarV2 tags "Sessions" and "Attendees").
import { notFound } from "./errors.ts";
import type { RouteCtx, RouteDef } from "./pipeline.ts";
import { halPage, pageParams, requireWebinar } from "./routes-webinars.ts";
import type { GotoSimState } from "./state.ts";
import type { SimSession, SimWebinar } from "./types.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** ReportingSession: sessionKey and webinarKey are strings here (the Attendee schema uses numbers). */
function reportingSession(state: GotoSimState, w: SimWebinar, s: SimSession) {
  const account = state.accountByOrganizer(w.organizerKey);
  return {
    sessionKey: String(s.sessionKey),
    webinarKey: String(w.webinarKey),
    webinarName: w.subject,
    startTime: iso(s.startTime),
    endTime: iso(s.endTime),
    registrantsAttended: s.attendees.length,
    registrantCount: state.registrantsOf(w.webinarKey).length,
    accountKey: account?.accountKey ?? "",
    creatingOrganizerKey: String(w.organizerKey),
    creatingOrganizerName: account?.organizerName ?? "",
    startingOrganizerKey: String(w.organizerKey),
    startingOrganizerName: account?.organizerName ?? "",
    totalPollCount: 0,
    timeZone: w.timeZone,
    experienceType: w.experienceType.toLowerCase(),
    webinarID: w.webinarID,
  };
}

function sessions(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  const { page, size } = pageParams(ctx, "size", 20);
  const all = ctx.state.sessions.get(w.webinarKey) ?? [];
  return {
    body: {
      _embedded: {
        sessionInfoResources: all
          .slice(page * size, (page + 1) * size)
          .map((s) => reportingSession(ctx.state, w, s)),
      },
      page: halPage(all.length, page, size),
    },
  };
}

function attendees(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  const sessionKey = ctx.key("sessionKey");
  const s = (ctx.state.sessions.get(w.webinarKey) ?? []).find((x) => x.sessionKey === sessionKey);
  if (!s) throw notFound("Session not found");
  return {
    body: s.attendees.map((a) => {
      const r = ctx.state.registrants.get(a.registrantKey);
      const seconds = a.intervals.reduce((sum, i) => sum + Math.round((i.leaveTime - i.joinTime) / 1000), 0);
      return {
        registrantKey: a.registrantKey,
        firstName: r?.firstName ?? "",
        lastName: r?.lastName ?? "",
        email: r?.email ?? "",
        attendanceTimeInSeconds: seconds,
        sessionKey: s.sessionKey,
        attendance: a.intervals.map((i) => ({ joinTime: iso(i.joinTime), leaveTime: iso(i.leaveTime) })),
      };
    }),
  };
}

/**
 * GET /webinars/{webinarKey}/recordingAssets (getRecordingAssets): RecordingAssetsResponse,
 * one Asset per past session once the webinar has run (GoTo records online when the organizer
 * has recording on; the simulator always does). `recordingShareUrl` and `webinarKey` are
 * included by default on this route, as the document says.
 */
function recordingAssets(ctx: RouteCtx) {
  const w = requireWebinar(ctx);
  const { page, size } = pageParams(ctx, "limit", 20);
  const account = ctx.state.accountByOrganizer(w.organizerKey);
  const all = (ctx.state.sessions.get(w.webinarKey) ?? []).map((s) => {
    const key = `${s.sessionKey}`;
    return {
      name: w.subject,
      recordingAssetKey: key,
      productName: "G2W",
      createTime: iso(s.endTime),
      creatorKey: String(w.organizerKey),
      accountKey: account?.accountKey ?? "",
      totalReferenceCount: 1,
      mp4DownloadUrl: `https://recordings.goto.com/download/${key}.mp4`,
      recordingShareUrl: `https://attendee.gotowebinar.com/recording/${key}`,
      webinarKey: String(w.webinarKey),
    };
  });
  return {
    body: { data: all.slice(page * size, (page + 1) * size), total: all.length, page, pageSize: size },
  };
}

const S = "/organizers/{organizerKey}/webinars/{webinarKey}/sessions";
export const attendanceRoutes: RouteDef[] = [
  { method: "GET", path: S, handler: sessions },
  { method: "GET", path: `${S}/{sessionKey}/attendees`, handler: attendees },
  { method: "GET", path: "/webinars/{webinarKey}/recordingAssets", handler: recordingAssets },
];
