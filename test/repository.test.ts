// The repository stands on its own: no file refers to a folder beside the checkout or to a path of
// the machine it was written on, so a clone with nothing beside it builds and tests the same.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

const root = path.resolve(import.meta.dirname, "..");
const notOurs = new Set(["node_modules", ".git", "data", "dist", "artifacts", ".build-lock"]);
// Built from parts so that this file does not match itself.
const outside = [["..", "shared"].join("/"), ["", "work", ""].join("/"), ["PROVIDERS", "md"].join(".")];

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (notOurs.has(entry)) continue;
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

test("no file refers to anything outside the repository", () => {
  const found: string[] = [];
  for (const file of files(root)) {
    const text = readFileSync(file, "utf8");
    for (const needle of outside) {
      if (text.includes(needle)) found.push(`${path.relative(root, file)}: ${needle}`);
    }
  }
  assert.deepEqual(found, []);
});
