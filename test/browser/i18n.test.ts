import assert from "node:assert/strict";
import { test } from "node:test";
import { en } from "../../web/src/i18n/en.ts";
import { nb } from "../../web/src/i18n/nb.ts";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("English and Norwegian Bokmål have exactly the same keys", () => {
  assert.deepEqual(Object.keys(nb).sort(), Object.keys(en).sort());
});

test("every string is non-empty and both languages use the same placeholders", () => {
  for (const [key, english] of Object.entries(en)) {
    const norwegian = nb[key as keyof typeof en];
    assert.ok(english.trim().length > 0, `en ${key} is empty`);
    assert.ok(norwegian.trim().length > 0, `nb ${key} is empty`);
    assert.deepEqual(placeholders(norwegian), placeholders(english), `placeholders of ${key} differ`);
  }
});
