import assert from "node:assert/strict";
import { test } from "node:test";
import { buildCalendar, foldLine, icsDateTime, icsText } from "./calendar.ts";

const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, "");

test("folding keeps every line within 75 octets, never splits a character, and unfolds back", () => {
  for (const line of ["SUMMARY:" + "a".repeat(200), `DESCRIPTION:${"ø€😀x".repeat(60)}`, "SHORT:1"]) {
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
