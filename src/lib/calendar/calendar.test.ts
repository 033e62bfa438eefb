import assert from "node:assert/strict";
import { test } from "node:test";
import { buildCalendar, foldLine, icsDateTime, icsText } from "./calendar.ts";
import { transitions, vtimezone } from "./calendar-timezone.ts";

const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, "");

test("folding keeps every line within 75 octets, never splits a character, and unfolds back", () => {
  for (const line of [`SUMMARY:${"a".repeat(200)}`, `DESCRIPTION:${"ø€😀x".repeat(60)}`, "SHORT:1"]) {
    const folded = foldLine(line);
    for (const part of folded.split("\r\n")) {
      assert.ok(Buffer.byteLength(part) <= 75, `${Buffer.byteLength(part)} octets`);
      assert.ok(!part.includes("\uFFFD"));
    }
    assert.equal(unfold(folded), line);
  }
  assert.equal(foldLine("x".repeat(75)), "x".repeat(75));
  assert.equal(foldLine("x".repeat(76)), `${"x".repeat(75)}\r\n x`);
});

test("TEXT escaping: backslash, semicolon, comma, newlines; other control characters dropped", () => {
  assert.equal(icsText("a\\b;c,d\r\ne\nf\u0007"), "a\\\\b\\;c\\,d\\ne\\nf");
});

test("a calendar has CRLF line ends, UTC times and the fields in order", () => {
  const ics = buildCalendar({
    uid: "r1@example.org",
    stamp: new Date("2026-11-26T12:00:00.123Z"),
    start: new Date("2026-12-01T08:00:00Z"),
    end: new Date("2026-12-01T09:30:00Z"),
    summary: "Launch; Q&A, live",
    description: "Join: https://example.org/j?a=1,2",
    url: "https://example.org/j?a=1,2\r\nX-EVIL:1",
  });
  assert.ok(ics.endsWith("\r\n"));
  assert.ok(!/[^\r]\n/.test(ics), "bare LF");
  const lines = unfold(ics).split("\r\n");
  assert.equal(lines[0], "BEGIN:VCALENDAR");
  assert.ok(lines.includes("DTSTAMP:20261126T120000Z"));
  assert.ok(lines.includes("DTSTART:20261201T080000Z"));
  assert.ok(lines.includes("SUMMARY:Launch\\; Q&A\\, live"));
  assert.ok(
    lines.includes("URL:https://example.org/j?a=1,2X-EVIL:1"),
    "a line break cannot inject a property",
  );
  assert.equal(icsDateTime(new Date("2030-01-02T03:04:05Z")), "20300102T030405Z");
});

test("times in the event's zone: TZID on DTSTART/DTEND and a VTIMEZONE with the year's real transitions", () => {
  const ics = buildCalendar({
    uid: "r1@example.org",
    sequence: 3,
    timeZone: "Europe/Oslo",
    stamp: new Date("2030-01-01T00:00:00Z"),
    start: new Date("2030-09-10T07:00:00Z"),
    end: new Date("2030-09-10T15:00:00Z"),
    summary: "Open day",
    description: "",
    url: "https://example.org/e/open-day",
  });
  const lines = unfold(ics).split("\r\n");
  assert.ok(lines.includes("SEQUENCE:3"));
  assert.ok(lines.includes("DTSTART;TZID=Europe/Oslo:20300910T090000"), "09:00 Oslo summer time");
  assert.ok(lines.includes("DTEND;TZID=Europe/Oslo:20300910T170000"));
  const zone = lines.slice(lines.indexOf("BEGIN:VTIMEZONE"), lines.indexOf("END:VTIMEZONE") + 1);
  assert.deepEqual(zone, [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Oslo",
    "BEGIN:STANDARD",
    "DTSTART:20300101T010000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0100",
    "END:STANDARD",
    // EU rules: last Sunday of March and of October, at 01:00 UTC.
    "BEGIN:DAYLIGHT",
    "DTSTART:20300331T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "DTSTART:20301027T030000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "END:STANDARD",
    "END:VTIMEZONE",
  ]);
  assert.ok(lines.indexOf("END:VTIMEZONE") < lines.indexOf("BEGIN:VEVENT"), "the zone comes before its use");
});

test("zones without daylight saving, half-hour offsets, and UTC", () => {
  assert.deepEqual(transitions("Asia/Tokyo", Date.UTC(2030, 0, 1), Date.UTC(2031, 0, 1)), []);
  const kolkata = vtimezone(
    "Asia/Kolkata",
    new Date("2030-05-01T00:00:00Z"),
    new Date("2030-05-01T02:00:00Z"),
  );
  assert.ok(kolkata.includes("TZOFFSETTO:+0530"));
  const adelaide = transitions("Australia/Adelaide", Date.UTC(2030, 0, 1), Date.UTC(2031, 0, 1));
  assert.deepEqual(
    adelaide.map((t) => [t.from, t.to]),
    [
      [630, 570],
      [570, 630],
    ],
  );
  const utc = unfold(
    buildCalendar({
      uid: "u",
      timeZone: "UTC",
      stamp: new Date(0),
      start: new Date("2030-01-01T10:00:00Z"),
      end: new Date("2030-01-01T11:00:00Z"),
      summary: "s",
      description: "",
      url: "https://example.org",
    }),
  );
  assert.ok(utc.includes("\r\nDTSTART:20300101T100000Z\r\n"));
  assert.ok(!utc.includes("VTIMEZONE"));
  assert.ok(utc.includes("\r\nSEQUENCE:0\r\n"), "a first issue is SEQUENCE 0");
});
