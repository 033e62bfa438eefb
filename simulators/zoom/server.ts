// Zoom Webinars API simulator: a stand-alone fastify server for integration tests and demos;
// production code must never import it. Zoom serves the API at https://api.zoom.us/v2 and OAuth at
// https://zoom.us/oauth/token; here both live on one origin: `${url}/v2` and `${url}/oauth/token`.
import Fastify, { type FastifyInstance } from "fastify";
import { makeHandler, type RouteDef } from "./http.ts";
import { registerControlRoutes } from "./routes/control.ts";
import { recordingRoutes } from "./routes/recordings.ts";
import { registrantRoutes } from "./routes/registrants.ts";
import { reportRoutes } from "./routes/report.ts";
import { webinarRoutes } from "./routes/webinars.ts";
import { ZoomSimState } from "./state.ts";
import type { ZoomSimulatorOptions } from "./types.ts";

export { ZoomSimState } from "./state.ts";
export type { Knobs, ZoomAccountConfig, ZoomSimulatorOptions } from "./types.ts";

export const ZOOM_ROUTES: RouteDef[] = [
  ...webinarRoutes,
  ...registrantRoutes,
  ...reportRoutes,
  ...recordingRoutes,
];

export interface ZoomSimulator {
  /** Origin; the control API is at `${url}/_sim/...`. */
  url: string;
  /** Stands for https://api.zoom.us/v2. */
  apiUrl: string;
  /** Stands for https://zoom.us (the token endpoint is `${oauthUrl}/oauth/token`). */
  oauthUrl: string;
  state: ZoomSimState;
  close(): Promise<void>;
}

export function buildZoomApp(state: ZoomSimState, logger = false): FastifyInstance {
  const app = Fastify({ logger });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
    done(null, String(body)),
  );
  // Everything else answers in Zoom's envelope: {"code", "message"}.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    reply.code(status).send({ code: status === 400 ? 300 : status, message: err.message });
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send({ code: 404, message: "Not Found" });
  });
  for (const def of ZOOM_ROUTES) {
    app.route({
      method: def.method,
      url: `/v2${def.path.replace(/\{(\w+)\}/g, ":$1")}`,
      handler: makeHandler(state, def),
    });
  }
  registerControlRoutes(app, state);
  return app;
}

export async function startZoomSimulator(options: ZoomSimulatorOptions): Promise<ZoomSimulator> {
  if (options.accounts.length === 0) throw new Error("startZoomSimulator: at least one account is required");
  const state = new ZoomSimState(options);
  const app = buildZoomApp(state, options.logger ?? false);
  await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("Zoom simulator: unexpected listen address");
  const url = `http://${addr.address}:${addr.port}`;
  return {
    url,
    apiUrl: `${url}/v2`,
    oauthUrl: url,
    state,
    close: async () => {
      await state.hooks.settle();
      await app.close();
    },
  };
}
