// Compiles the server (src/) into dist/, one JavaScript file per source file, so `npm start`
// runs plain `node` instead of loading tsx's compiler and source maps into the serving process
// (about 30 MiB of loader plus the compiled sources kept on its heap; docs/performance.md,
// footprint). One file per source file keeps every `import.meta.url` path (web/dist, the
// simulators of --demo) the same as in src/. About a second; `prestart` runs it every time.
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const out = path.join(root, "dist");

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/**
 * Every import stays an import: packages are left to Node, and a relative `./x.ts` becomes
 * `./x.js`, the file this build writes beside it. esbuild reads the specifiers from its own
 * parse, dynamic `import("./x.ts")` included, so no text is rewritten by pattern.
 */
const keepImports = {
  name: "keep-imports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      if (!args.path.startsWith(".")) return { path: args.path, external: true };
      return { path: args.path.replace(/\.tsx?$/, ".js"), external: true };
    });
  },
};

export async function buildServer() {
  const result = await build({
    entryPoints: sources(src),
    outdir: out,
    outbase: src,
    bundle: true,
    plugins: [keepImports],
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    metafile: true,
  });
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
