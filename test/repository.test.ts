// The repository stands on its own: no file refers to a folder beside the checkout or to a path of
// the machine it was written on, so a clone with nothing beside it builds and tests the same.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

const root = path.resolve(import.meta.dirname, "..");
const notOurs = new Set(["node_modules", ".git", "data", "dist", ".test-build", "artifacts", ".build-lock"]);
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

/**
 * The folder a source file belongs to, for the dependency rule: `modules/<domain>`, a top
 * folder, or the file itself for the composition files at the top (app.ts, main.ts, …).
 */
function folderOf(file: string): string {
  const parts = path.relative(path.join(root, "src"), file).split(path.sep);
  if (parts[0] === "modules" && parts.length > 2) return `modules/${parts[1]}`;
  return parts[0] as string;
}

/** Every import between two different folders of src/, as "from → to" with one example file each. */
function folderImports(): Map<string, string> {
  const edges = new Map<string, string>();
  for (const file of files(path.join(root, "src"))) {
    if (!/\.tsx?$/.test(file) || file.endsWith(".test.ts")) continue;
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)[^;]*?from\s+["'](\.[^"']+)["']/gms)) {
      const target = path.resolve(path.dirname(file), m[1] as string);
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to && !edges.has(`${from} → ${to}`))
        edges.set(`${from} → ${to}`, path.relative(root, file));
    }
  }
  return edges;
}

test("dependencies point one way between folders (docs/design.md, Module dependencies)", () => {
  const edges = folderImports();
  const twoWay = [...edges.keys()].filter((e) => {
    const [from, to] = e.split(" → ");
    return edges.has(`${to} → ${from}`);
  });
  assert.deepEqual(twoWay, [], "two folders import each other: one must fire a hook the other registers");
  const forbidden = [...edges.entries()].filter(([e]) => {
    const [from, to] = e.split(" → ") as [string, string];
    if (from === "providers")
      return to === "db" || to.startsWith("modules/") || to === "jobs" || to === "keys";
    if (from === "lib" || from === "db" || from === "config") return to.startsWith("modules/");
    return from.startsWith("modules/") && (to === "cli" || to.endsWith(".ts"));
  });
  assert.deepEqual(forbidden, [], "an import against the layering");
});
