// GET /meetings/{meetingId}/recordings (Light): a webinar's cloud recording, in the shape of
// @zoom/rivet's CloudRecordingGetMeetingRecordingsResponse plus `share_url`, which Zoom's
// reference documents and rivet's type leaves out. A webinar id is accepted as the meeting id,
// as Zoom does. No recording until the webinar has run (ended): 404 code 3301, as Zoom answers.
import { type RouteDef, ZoomError } from "../http.ts";

export const recordingRoutes: RouteDef[] = [
  {
    method: "GET",
    path: "/meetings/{meetingId}/recordings",
    category: "light",
    handler: (ctx) => {
      const raw = ctx.params.meetingId ?? "";
      const w = /^\d+$/.test(raw) ? ctx.state.webinars.get(Number(raw)) : undefined;
      if (!w || w.accountId !== ctx.accountId || !w.recording)
        throw new ZoomError(404, 3301, "There is no recording for this meeting.");
      const r = w.recording;
      const share = `https://zoom.us/rec/share/${r.key}`;
      return {
        status: 200,
        body: {
          account_id: w.accountId,
          duration: w.duration,
          host_id: w.hostId,
          id: w.id,
          recording_count: 1,
          start_time: r.start,
          topic: w.topic,
          total_size: 104_857_600,
          type: "5",
          uuid: w.uuid,
          share_url: share,
          recording_play_passcode: r.passcode,
          recording_files: [
            {
              id: `${r.key}-mp4`,
              meeting_id: w.uuid,
              recording_start: r.start,
              recording_end: r.end,
              file_type: "MP4",
              file_extension: "MP4",
              file_size: 104_857_600,
              play_url: `https://zoom.us/rec/play/${r.key}`,
              download_url: `https://zoom.us/rec/download/${r.key}`,
              status: "completed",
              recording_type: "shared_screen_with_speaker_view",
            },
          ],
        },
      };
    },
  },
];
