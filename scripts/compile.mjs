// One TypeScript → JavaScript compile for the server build (scripts/build-server.mjs) and the
// test build (scripts/test.mjs): esbuild writes one `.js` file per source file and leaves
// every import an import, so the output's module graph is the sources' own.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

/** Every .ts and .tsx file under dir, declaration files and node_modules left out. */
export function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.name === "node_modules") return [];
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/**
 * Every import stays an import: packages are left to Node, and a relative `./x.ts` becomes
 * `./x.js`, the file this build writes beside it. esbuild reads the specifiers from its own
 * parse, dynamic `import("./x.ts")` included, so no import is rewritten by pattern. With
 * `toSources`, a relative import of a file this build does not write (`scripts/x.mjs`) names
 * the source file itself, as the output folder holds only compiled files.
 */
const keepImports = (toSources) => ({
  name: "keep-imports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      if (!args.path.startsWith(".")) return { path: args.path, external: true };
      if (/\.tsx?$/.test(args.path)) return { path: args.path.replace(/\.tsx?$/, ".js"), external: true };
      if (!toSources) return { path: args.path, external: true };
      return { path: pathToFileURL(path.resolve(args.resolveDir, args.path)).href, external: true };
    });
  },
});

/**
 * `import.meta.url`, `.dirname` and `.filename` name the source file, not the compiled one, so
 * a path resolved from them (web/dist, a fixture, the drivers folder) is the same as when the
 * sources run through tsx, wherever the output is written.
 */
const sourceImportMeta = {
  name: "source-import-meta",
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, (args) => {
      const text = readFileSync(args.path, "utf8")
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path));
      return { contents: text, loader: args.path.endsWith(".tsx") ? "tsx" : "ts" };
    });
  },
};

/**
 * Compiles `entryPoints` into `outdir`, mirroring their paths under `outbase`.
 * `sourceMeta` keeps import.meta on the sources (the test build, written outside the tree);
 * the server build keeps its own, as dist/ sits where src/ does.
 */
export async function compile({ entryPoints, outdir, outbase, sourcemap, sourceMeta = false }) {
  return build({
    entryPoints,
    outdir,
    outbase,
    bundle: true,
    plugins: sourceMeta ? [keepImports(true), sourceImportMeta] : [keepImports(false)],
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap,
    logLevel: "warning",
    metafile: true,
  });
}
