// Compiles the server (src/) into dist/, one JavaScript file per source file, so `npm start`
// runs plain `node` instead of loading tsx's compiler and source maps into the serving process
// (about 30 MiB of loader plus the compiled sources kept on its heap; docs/performance.md,
// footprint). One file per source file keeps every `import.meta.url` path (web/dist, the
// simulators of --demo) the same as in src/. About a second; `prestart` runs it every time.
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile, sources } from "./compile.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const out = path.join(root, "dist");

export async function buildServer() {
  const result = await compile({ entryPoints: sources(src), outdir: out, outbase: src, sourcemap: "linked" });
  // A file removed from src/ must not linger in dist/ and be imported by a stale path. Removed
  // after the build, not before: a server already running from dist/ still finds the files it
  // imports lazily (the key-store drivers, the demo) while another start rebuilds.
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(f)));
  if (existsSync(out)) for (const f of files(out)) if (!written.has(f)) rmSync(f);
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildServer();
