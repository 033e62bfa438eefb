// Serializers for attendance data (attendee records and viewing sessions), shaped like the
// "Elite account" attendee example and the attendeesession example in openapi.json.
import { userProfileUrl } from "./render.ts";
import { hms, isoPacific, MINUTE, on24Minutes } from "./time.ts";
import type { Attendance, SessionRow, SimRegistrant } from "./types.ts";

export function renderAttendee(r: SimRegistrant, a: Attendance) {
  const live = a.sessions.filter((s) => s.usage === "Live");
  const arch = a.sessions.filter((s) => s.usage === "Archived");
  const liveminutes = on24Minutes(a.liveMinutesExact);
  const archiveminutes = on24Minutes(a.archiveMinutesExact);
  const span = (rows: SessionRow[], prefix: string) =>
    rows.length === 0
      ? {}
      : {
          [`first${prefix}activity`]: isoPacific(Math.min(...rows.map((s) => s.start))),
          [`last${prefix}activity`]: isoPacific(Math.max(...rows.map((s) => s.end))),
        };
  return {
    email: r.fields.email ?? "",
    eventuserid: r.eventuserid,
    ...(r.fields.exteventusercd ? { exteventusercd: r.fields.exteventusercd } : {}),
    userstatus: r.status,
    isblocked: r.blocked ? "Y" : "N",
    engagementscore: a.engagementscore,
    liveminutes,
    liveviewed: live.length,
    ...span(live, "live"),
    archiveminutes,
    archiveviewed: arch.length,
    ...span(arch, "archive"),
    askedquestions: a.questions.length,
    resourcesdownloaded: a.resources.length,
    answeredpolls: a.polls.length,
    answeredsurveys: 0,
    answeredsurveyquestions: 0,
    launchmode: "Watching remote",
    questions: a.questions.map((q) => ({
      questionid: q.questionid,
      createtimestamp: isoPacific(q.createtimestamp),
      content: q.content,
      ...(q.answer
        ? {
            answer: {
              createtimestamp: isoPacific(q.createtimestamp + 2 * MINUTE),
              content: q.answer,
              presenterid: 813_700,
              presentername: "Sim Presenter",
              privacy: "Private",
            },
          }
        : {}),
    })),
    polls: a.polls.map((p) => ({
      pollid: p.pollid,
      pollsubmittedtimestamp: isoPacific(p.at),
      pollquestionid: p.pollquestionid,
      pollquestion: p.pollquestion,
      pollanswers: [p.answer],
      pollanswersdetail: [{ answercode: "choice1", answer: p.answer }],
    })),
    resources: a.resources.map((x) => ({
      resourceid: x.resourceid,
      resourceviewed: x.resourceviewed,
      resourceviewedtimestamp: isoPacific(x.at),
    })),
    surveys: [],
    userprofileurl: userProfileUrl(r),
    cumulativeliveminutes: liveminutes,
    cumulativearchiveminutes: archiveminutes,
    ...(r.fields.partnerref ? { partnerref: r.fields.partnerref } : {}),
    attendeesessions: a.sessions.length,
    livemediaplayerminutes: liveminutes,
    archivemediaplayerminutes: archiveminutes,
  };
}

export function renderSession(r: SimRegistrant, s: SessionRow) {
  return {
    id: s.id,
    email: r.fields.email ?? "",
    ...(r.fields.firstname ? { firstname: r.fields.firstname } : {}),
    ...(r.fields.lastname ? { lastname: r.fields.lastname } : {}),
    duration: hms(s.end - s.start),
    starttime: isoPacific(s.start),
    endtime: isoPacific(s.end),
    usage: s.usage,
    mediastream: "HTML5 Video",
    os: "win10",
    browser: "chrome120",
    streamsource: "https",
    ipaddress: `198.51.100.${r.eventuserid % 250}`,
    ...(r.fields.exteventusercd ? { exteventusercd: r.fields.exteventusercd } : {}),
    launchmode: "Watching remote",
  };
}
