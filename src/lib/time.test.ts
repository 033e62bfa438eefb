import assert from "node:assert/strict";
import { test } from "node:test";
import {
  instantToLocal,
  isValidTimeZone,
  localToInstant,
  NonexistentLocalTimeError,
  resolveDateTime,
} from "./time.ts";

test("wall-clock 09:00 in Oslo maps to different UTC hours either side of the March DST change", () => {
  assert.equal(localToInstant("2026-03-28T09:00", "Europe/Oslo").toISOString(), "2026-03-28T08:00:00.000Z");
  assert.equal(localToInstant("2026-03-30T09:00", "Europe/Oslo").toISOString(), "2026-03-30T07:00:00.000Z");
});

test("a time inside the spring-forward gap is refused", () => {
  assert.throws(() => localToInstant("2026-03-29T02:30", "Europe/Oslo"), NonexistentLocalTimeError);
  assert.throws(() => localToInstant("2026-03-08T02:30", "America/New_York"), NonexistentLocalTimeError);
});

test("an ambiguous fall-back time takes the earlier instant", () => {
  assert.equal(localToInstant("2026-10-25T02:30", "Europe/Oslo").toISOString(), "2026-10-25T00:30:00.000Z");
  assert.equal(
    localToInstant("2026-11-01T01:30", "America/New_York").toISOString(),
    "2026-11-01T05:30:00.000Z",
  );
});

test("instants render with the zone's offset at that instant", () => {
  assert.equal(instantToLocal(new Date("2026-03-29T00:30:00Z"), "Europe/Oslo"), "2026-03-29T01:30:00+01:00");
  assert.equal(instantToLocal(new Date("2026-03-29T01:30:00Z"), "Europe/Oslo"), "2026-03-29T03:30:00+02:00");
  assert.equal(instantToLocal(new Date("2026-06-01T12:00:00Z"), "Asia/Kolkata"), "2026-06-01T17:30:00+05:30");
  assert.equal(
    instantToLocal(new Date("2026-06-01T12:00:00Z"), "America/St_Johns"),
    "2026-06-01T09:30:00-02:30",
  );
});

test("explicit offsets win over the zone; zones are validated", () => {
  assert.equal(
    resolveDateTime("2026-03-29T09:00:00+05:00", "Europe/Oslo").toISOString(),
    "2026-03-29T04:00:00.000Z",
  );
  assert.equal(isValidTimeZone("Europe/Oslo"), true);
  assert.equal(isValidTimeZone("UTC"), true);
  assert.equal(isValidTimeZone("Mars/Olympus"), false);
  assert.equal(isValidTimeZone("Europe/Oslo; DROP TABLE"), false);
});
