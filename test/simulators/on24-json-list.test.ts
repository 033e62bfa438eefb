import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonList } from "../../simulators/on24/http.ts";
import { hexKey, rngFor } from "../../simulators/on24/rng.ts";

// The simulator's unpaged lists are written item by item; what goes over the wire must be
// exactly what serializing the whole answer at once gave.
test("jsonList is byte for byte JSON.stringify of the whole answer", () => {
  const items = [
    {
      email: "a@example.com",
      skipped: undefined,
      questions: [{ content: 'say "hi"\u2028\n', answer: null }],
    },
    { email: "b@example.com", score: 2.5, nested: { list: [1, "2", false] } },
  ];
  const render = (x: (typeof items)[number]) => ({ ...x, seen: true });
  const head = { eventid: 311512, totalattendees: items.length };
  assert.equal(
    jsonList(head, "attendees", items, render),
    JSON.stringify({ ...head, attendees: items.map(render) }),
  );
  assert.equal(jsonList(head, "attendees", [], render), JSON.stringify({ ...head, attendees: [] }));
});

test("hexKey: uppercase hex of the requested length, the same for the same seed", () => {
  const key = hexKey(rngFor("profile", 49502149), 48);
  assert.match(key, /^[0-9A-F]{48}$/);
  assert.equal(hexKey(rngFor("profile", 49502149), 48), key);
  // The digits the earlier toString(16) version produced for this seed (profile URLs stay stable).
  const rng = rngFor("profile", 49502149);
  let expected = "";
  while (expected.length < 48) expected += Math.floor(rng() * 16).toString(16);
  assert.equal(key, expected.toUpperCase());
});
