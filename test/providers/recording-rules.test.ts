import assert from "node:assert/strict";
import { test } from "node:test";
import { on24Recording } from "../../src/providers/on24/recording.ts";
import { zoomRecording } from "../../src/providers/zoom/mapping.ts";

/**
 * When a provider's answer counts as a recording link, on the edges the simulators do not
 * reach (test/providers/recordings.test.ts runs the common path against each simulator).
 */
const now = new Date("2031-01-10T12:00:00Z");
const audience = "https://event.on24.com/wcc/r/1418636/15545789BB2677BD0FB3F6FAA3F8B557";

test("ON24: the audience URL once the archive opened or its file exists, until the archive ends", () => {
  const ev = { eventid: "1418636", audienceurl: audience };
  assert.equal(
    on24Recording({ ...ev, archivestart: "2031-01-10T05:00:00-08:00" }, now),
    null,
    "opens at 13:00Z",
  );
  const opened = on24Recording(
    { ...ev, archivestart: "2031-01-10T03:00:00-08:00", archiveend: "2032-01-10T03:00:00-08:00" },
    now,
  );
  assert.deepEqual(opened, {
    url: audience,
    kind: "on_demand",
    availableUntil: new Date("2032-01-10T11:00:00Z"),
  });
  const processed = on24Recording(
    { ...ev, archivestart: "2031-01-11T00:00:00Z", singlefilearchive: "https://wccdownload.on24.com/x.mp4" },
    now,
  );
  assert.equal(processed?.url, audience, "the processed file counts, but the page is what is sent");
  assert.equal(
    on24Recording({ ...ev, archivestart: "2030-01-01T00:00:00Z", archiveend: "2031-01-01T00:00:00Z" }, now),
    null,
    "the archive has ended",
  );
  assert.equal(on24Recording({ eventid: "1", singlefilearchive: "https://x/y.mp4" }, now), null, "no page");
});

test("Zoom: the share link with the passcode once an MP4 is completed; never while processing", () => {
  const file = { file_type: "MP4", status: "completed", play_url: "https://zoom.us/rec/play/abc" };
  assert.equal(zoomRecording({ share_url: "https://zoom.us/rec/share/abc" }), null, "no file yet");
  assert.equal(
    zoomRecording({
      share_url: "https://zoom.us/rec/share/abc",
      recording_files: [{ ...file, status: "processing" }],
    }),
    null,
  );
  const shared = zoomRecording({
    share_url: "https://zoom.us/rec/share/abc",
    recording_play_passcode: "p+ss/1",
    auto_delete_date: "2031-02-09",
    recording_files: [
      { file_type: "M4A", status: "completed", play_url: "https://zoom.us/rec/play/m4a" },
      file,
    ],
  });
  assert.deepEqual(shared, {
    url: "https://zoom.us/rec/share/abc?pwd=p%2Bss%2F1",
    kind: "recording",
    availableUntil: new Date("2031-02-09T00:00:00Z"),
  });
  assert.equal(
    zoomRecording({ recording_files: [file] })?.url,
    "https://zoom.us/rec/play/abc",
    "no share link",
  );
  assert.equal(
    zoomRecording({ recording_files: [{ ...file, deleted_time: "2031-01-11T00:00:00Z" }] }),
    null,
    "a trashed file is not offered",
  );
});
