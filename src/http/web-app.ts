import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config/env.ts";

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/dist");

/**
 * Client-side routes of the web app (web/src/app.tsx; test/browser/serving.test.ts checks
 * that every route declared there is served). Only these paths get index.html; every other
 * unknown path keeps the API's JSON 404, so a mistyped API URL never answers with a web page.
 */
const ADMIN_SECTIONS = [
  "signin",
  "events",
  "settings",
  "outbox",
  "members",
  "api-tokens",
  "audit",
  "privacy",
  "check-in",
  "webhooks",
];
/** Public pages, one token or slug each: registration (e), confirmation (r), opt-in (c). */
const PUBLIC_PAGES = ["e", "r", "c"];
const SPA_ROUTES = new RegExp(
  `^/(?:$|(?:${ADMIN_SECTIONS.join("|")})(?:/|$)|(?:${PUBLIC_PAGES.join("|")})/[^/]+/?$)`,
);

/** Serves the built admin web app and the public pages (web/dist), with the SPA fallback. */
export async function installWebApp(app: FastifyInstance, _config: Config) {
  const built = existsSync(path.join(DIST, "index.html"));
  if (built) {
    // File names under assets/ carry a content hash: a changed file is a new URL, so the
    // browser may keep each one forever.
    await app.register(fastifyStatic, {
      root: path.join(DIST, "assets"),
      prefix: "/assets/",
      immutable: true,
      maxAge: "365d",
      index: false,
    });
  }

  app.get("/*", { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split("?")[0] ?? "/";
    if (!SPA_ROUTES.test(pathname)) return reply.callNotFound();
    // index.html names the current hashed assets, so it must be revalidated every time.
    reply.header("cache-control", "no-cache");
    if (!built) return reply.type("text/html").send(NOT_BUILT);
    return reply.sendFile("index.html", DIST, { maxAge: 0, cacheControl: false });
  });
}

const NOT_BUILT =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Auditorium</title><h1>Auditorium</h1>' +
  "<p>The web app is not built yet: run <code>npm run build:web</code> (npm start does it for you). " +
  'The API is at <a href="/docs">/docs</a>.</p></html>';
