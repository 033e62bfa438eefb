// ON24 REST API v2 simulator. Stand-alone fastify server for integration tests and demos; production
// code must never import it. ON24 lives at https://api.on24.com/v2 (NA) and
// https://api.eu.on24.com/v2 (EU); here the NA API is served under `${url}/v2` and the EU one under
// `${url}/eu/v2`, so one process can host both regions (tokens are region-scoped).
import Fastify, { type FastifyInstance } from "fastify";
import { parseMultipart, parseUrlEncoded } from "./forms.ts";
import { makeHandler, type RouteDef } from "./http.ts";
import { attendeeRoutes } from "./routes/attendees.ts";
import { registerControlRoutes } from "./routes/control.ts";
import { emailRoutes } from "./routes/emails.ts";
import { eventRoutes } from "./routes/events.ts";
import { peopleRoutes } from "./routes/people.ts";
import { registrantRoutes } from "./routes/registrants.ts";
import { registerSelfRegistrationRoutes } from "./routes/self-registration.ts";
import { SimState } from "./state.ts";
import type { Region, SimulatorOptions } from "./types.ts";

export { SimState } from "./state.ts";
export type { AccountConfig, FaultKind, Knobs, Region, SimulatorOptions } from "./types.ts";

export const ON24_ROUTES: RouteDef[] = [
  ...eventRoutes,
  ...emailRoutes,
  ...registrantRoutes,
  ...peopleRoutes,
  ...attendeeRoutes,
];

export const REGION_PREFIX: Record<Region, string> = { NA: "/v2", EU: "/eu/v2" };

export interface On24Simulator {
  /** Origin, e.g. "http://127.0.0.1:40123". Control API at `${url}/_sim/...`. */
  url: string;
  /** ON24 base URLs to configure a client with (`${url}/v2`, `${url}/eu/v2`). */
  baseUrls: Record<Region, string>;
  state: SimState;
  app: FastifyInstance;
  close(): Promise<void>;
}

export function buildOn24App(state: SimState, logger = false): FastifyInstance {
  const app = Fastify({ logger });
  // ON24 writes are form-encoded (or multipart); @fastify/formbody is not a dependency.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, parseUrlEncoded(String(body)));
  });
  app.addContentTypeParser("multipart/form-data", { parseAs: "buffer" }, (req, body, done) => {
    done(null, parseMultipart(body as Buffer, String(req.headers["content-type"] ?? "")));
  });
  // Everything else answers in ON24's envelope: {"message": "..."}.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    reply.code(err.statusCode ?? 500).send({ message: err.message });
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send({ message: "Not Found" });
  });
  for (const region of ["NA", "EU"] as const) {
    for (const def of ON24_ROUTES) {
      app.route({
        method: def.method,
        url: REGION_PREFIX[region] + def.path.replace(/\{(\w+)\}/g, ":$1"),
        handler: makeHandler(state, def, region),
      });
    }
  }
  registerControlRoutes(app, state);
  registerSelfRegistrationRoutes(app, state);
  return app;
}

export async function startOn24Simulator(options: SimulatorOptions): Promise<On24Simulator> {
  if (options.accounts.length === 0) throw new Error("startOn24Simulator: at least one account is required");
  const state = new SimState(options);
  const app = buildOn24App(state, options.logger ?? false);
  await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("ON24 simulator: unexpected listen address");
  const url = `http://${addr.address}:${addr.port}`;
  return {
    url,
    baseUrls: { NA: url + REGION_PREFIX.NA, EU: url + REGION_PREFIX.EU },
    state,
    app,
    close: () => app.close(),
  };
}
