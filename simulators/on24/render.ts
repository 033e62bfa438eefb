// Serializers from simulator records to ON24's JSON shapes. Field names, nesting and value types
// follow the response examples in openapi.json (the spec declares no response schemas). Fields
// without a value are omitted, as ON24 does for empty registration fields.

import { hexKey, rngFor } from "./rng.ts";
import type { SimState } from "./state.ts";
import { isoPacific, MINUTE, on24Minutes, shortTimeZone, wccDate } from "./time.ts";
import type { Attendance, SimEvent, SimRegistrant } from "./types.ts";

/** Registration fields in response naming (= documented form names lower-cased). */
export const REG_FIELDS = [
  "firstname",
  "lastname",
  "email",
  "company",
  "jobtitle",
  "addressstreet1",
  "addressstreet2",
  "city",
  "state",
  "zip",
  "country",
  "homephone",
  "workphone",
  "fax",
  "jobfunction",
  "companyindustry",
  "companysize",
  "partnerref",
  "std1",
  "std2",
  "std3",
  "std4",
  "std5",
  "std6",
  "std7",
  "std8",
  "std9",
  "std10",
  "username",
  "exteventusercd",
  "other",
  "notes",
  "marketingemail",
  "eventemail",
  "emailformat",
] as const;

/**
 * Campaign (UTM) codes: ON24's registrant records carry them (`utmsource` … `utmcontent` in
 * the registrant list examples), so a registration may set them; the "Registrant Created"
 * answer of a write does not echo them (its example has none).
 */
export const UTM_FIELDS = ["utmsource", "utmmedium", "utmcampaign", "utmterm", "utmcontent"] as const;

const ARCHIVE_MINUTES = 525_600; // one year, as in every ON24 example
const LOBBY_MS = 15 * MINUTE; // examples: liveStart is 15 minutes before goodAfter
const ARCHIVE_GAP_MS = 30 * MINUTE; // examples: archiveStart is 30 minutes after liveEnd

export function eventTimes(ev: SimEvent) {
  const liveEnd = ev.goodAfter + ev.durationMin * MINUTE;
  const archiveStart = liveEnd + ARCHIVE_GAP_MS;
  return {
    liveStart: ev.goodAfter - LOBBY_MS,
    goodAfter: ev.goodAfter,
    liveEnd,
    archiveStart,
    archiveEnd: archiveStart + ARCHIVE_MINUTES * MINUTE,
  };
}

/** ON24 documents only the regional API hosts; audience/report links use these hosts in both regions. */
const HOSTS = { event: "https://event.on24.com", wcc: "https://wcc.on24.com" };

/** `{"wccevent": …}` as answered by create (PMUrl) and update (pmurl — the examples differ). */
export function renderWccEvent(ev: SimEvent, now: number, variant: "create" | "update") {
  const t = eventTimes(ev);
  const h = HOSTS;
  const tz = ev.timeZone;
  const pm = `${h.wcc}/webcast/present?e=${ev.eventId}&k=${ev.reportKey}`;
  const wcc: Record<string, unknown> = {
    eventId: ev.eventId,
    title: ev.title,
    eventAbstract: ev.eventAbstract,
    promotionalSummary: ev.promotionalSummary,
    liveStart: wccDate(t.liveStart, tz),
    liveDuration: ev.durationMin * 60,
    liveEnd: wccDate(t.liveEnd, tz),
    archiveStart: wccDate(t.archiveStart, tz),
    archiveEnd: wccDate(t.archiveEnd, tz),
    clientId: ev.clientId,
    timeZone: tz,
    eventType: ev.eventType,
    goodAfter: wccDate(t.goodAfter, tz),
    audienceUrl: `${h.event}/wcc/r/${ev.eventId}/${ev.audienceKey}`,
    reportsUrl: `${h.wcc}/webcast/report?e=${ev.eventId}&k=${ev.reportKey}`,
    previewUrl: `${h.event}/webcast/previewlobby?e=${ev.eventId}&k=${ev.reportKey}`,
    archiveDuration: ARCHIVE_MINUTES,
    shortTimeZone: shortTimeZone(t.goodAfter, tz),
    isLiveStartPast: now >= t.liveStart,
    isLiveEndPast: now >= t.liveEnd,
    archiveEndInPast: now >= t.archiveEnd,
    monthsAvailableToExtend: -1,
    canExtendArchive: false,
    archiveAvailable: ev.archiveAvailable,
    autoArchiveProcessed: false,
    canManipulateArchive: false,
    canToggleArchiveAvailability: true,
    showFaaBridgeNumber: false,
    showColossusLink: false,
    languageCd: ev.languageCd,
    countryCd: ev.countryCd,
    ...(ev.campaignCode ? { campaignCode: ev.campaignCode } : {}),
    sourceEventId: ev.sourceEventId,
    rolloverAudio: false,
    rolloverAudioDisabled: false,
    tags: ev.tags,
    customaccounttags: [],
    defaultPlayerConsoleTemplateId: 0,
    simuliveWaitingMode: false,
    ...(variant === "create" ? { PMUrl: pm } : { pmurl: pm }),
    simuliveEPMode: false,
    simuliveMode: false,
  };
  if (variant === "create")
    Object.assign(wcc, { hybrid: ev.hybrid, venue: ev.venue, address: ev.address, testevent: ev.testevent });
  return { wccevent: wcc };
}

/** The recording's MP4 in the shape of the example's `wccdownload.on24.com/event/…/rt/1_<key>.mp4`. */
export function singleFileArchive(ev: SimEvent): string {
  const digits = String(ev.eventId).padStart(8, "0").match(/../g)?.join("/") ?? String(ev.eventId);
  return `https://wccdownload.on24.com/event/${digits}/rt/1_${ev.reportKey}.mp4`;
}

export function userProfileUrl(r: SimRegistrant): string {
  return `https://data.on24.com/webcast/lead?token=${hexKey(rngFor("profile", r.eventuserid), 48)}`;
}

function regFields(r: SimRegistrant): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of REG_FIELDS) {
    const v = r.fields[k];
    if (v !== undefined && v !== "") out[k] = v;
  }
  out.marketingemail ??= "N";
  out.eventemail ??= "N";
  return out;
}

function utmFields(r: SimRegistrant): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of UTM_FIELDS) {
    const v = r.fields[k];
    if (v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

/** Body of REST Registration (POST) and event-level PATCH. */
export function renderRegistrantWrite(r: SimRegistrant) {
  return {
    ...regFields(r),
    eventid: r.eventId,
    eventuserid: r.eventuserid,
    isblocked: r.blocked ? "Y" : "N",
    userprofileurl: userProfileUrl(r),
  };
}

/**
 * Element of the registrant lists ("event", "client" adds clientid) and of the by-email answer
 * `{"registrant": …}`, whose example carries clientid but no createtimestamp/lastactivity.
 */
export function renderRegistrantRecord(r: SimRegistrant, kind: "event" | "client" | "byEmail") {
  return {
    eventuserid: r.eventuserid,
    ...(kind !== "event" ? { clientid: r.clientId } : {}),
    eventid: r.eventId,
    ...regFields(r),
    ...utmFields(r),
    ...(kind !== "byEmail"
      ? { createtimestamp: isoPacific(r.createdAt), lastactivity: isoPacific(r.lastActivity) }
      : {}),
    userprofileurl: userProfileUrl(r),
    userstatus: r.status,
    attendeetype: "Virtual",
  };
}

/** GET /event/{eventId}: metadata plus `eventanalytics` totals over published attendance. */
export function renderEventMetadata(state: SimState, ev: SimEvent) {
  const t = eventTimes(ev);
  const h = HOSTS;
  const regs = state.visibleRegistrants((r) => r.eventId === ev.eventId && r.status === "active");
  const att = state.isPublished(ev) && ev.run ? [...ev.run.attendance.values()] : [];
  const sum = (f: (a: Attendance) => number) => att.reduce((n, a) => n + f(a), 0);
  const avg = (f: (a: Attendance) => number) => (att.length ? Math.round(sum(f) / att.length) : 0);
  const liveMin = (a: Attendance) => on24Minutes(a.liveMinutesExact);
  const archMin = (a: Attendance) => on24Minutes(a.archiveMinutesExact);
  const score = att.length ? Math.round((sum((a) => a.engagementscore) / att.length) * 10) / 10 : 0;
  return {
    eventanalytics: {
      totalregistrants: regs.length,
      totalattendees: att.length,
      liveattendees: att.filter((a) => a.liveMinutesExact > 0).length,
      ondemandattendees: att.filter((a) => a.archiveMinutesExact > 0).length,
      numberofquestionsasked: sum((a) => a.questions.length),
      numberofquestionsanswered: sum((a) => a.questions.filter((q) => q.answer).length),
      numberofpollspushed: att.length ? 3 : 0,
      numberofpollresponses: sum((a) => a.polls.length),
      noshowcount: regs.length - att.length,
      uniqueattendeeresourcedownloads: sum((a) => a.resources.length),
      eventengagementscore: score,
      averageliveminutes: avg(liveMin),
      averagearchiveminutes: avg(archMin),
      totalcumulativeliveminutes: sum(liveMin),
      totalcumulativearchiveminutes: sum(archMin),
      totalcumulativeminutes: sum(liveMin) + sum(archMin),
    },
    eventid: ev.eventId,
    eventname: ev.title,
    clientid: ev.clientId,
    eventduration: ev.durationMin,
    goodafter: isoPacific(t.goodAfter),
    isactive: !ev.deleted,
    goodtill: isoPacific(t.archiveEnd),
    regrequired: ev.registrationEnabled,
    description: ev.eventAbstract,
    promotionalsummary: ev.promotionalSummary,
    regnotificationrequired: ev.registrationEnabled,
    displaytimezonecd: ev.timeZone,
    eventtype: ev.eventType,
    createtimestamp: isoPacific(ev.createdAt),
    localelanguagecd: ev.languageCd,
    ...(ev.countryCd ? { localecountrycd: ev.countryCd } : {}),
    lastmodified: isoPacific(ev.updatedAt),
    lastupdated: isoPacific(ev.updatedAt),
    livestart: isoPacific(t.liveStart),
    liveend: isoPacific(t.liveEnd),
    archivestart: isoPacific(t.archiveStart),
    archiveend: isoPacific(t.archiveEnd),
    scheduledeventduration: ev.durationMin,
    audiencekey: ev.audienceKey,
    reporturl: `${h.wcc}/webcast/report?e=${ev.eventId}&k=${ev.reportKey}`,
    pmurl: `${h.wcc}/webcast/present?e=${ev.eventId}&k=${ev.reportKey}`,
    previewurl: `${h.event}/webcast/previewlobby?e=${ev.eventId}&k=${ev.reportKey}`,
    audienceurl: `${h.event}/wcc/r/${ev.eventId}/${ev.audienceKey}`,
    // The processed recording (the "webcast" example), once the webinar has run and ended.
    ...(ev.run ? { singlefilearchive: singleFileArchive(ev) } : {}),
    contenttype: "webcast",
    ishybridevent: ev.hybrid === "Y",
    tags: ev.tags,
    // openapi.json's examples carry both; the listing notes "eventlocation is the same as the campaigncode".
    ...(ev.campaignCode ? { campaigncode: ev.campaignCode, eventlocation: ev.campaignCode } : {}),
  };
}
