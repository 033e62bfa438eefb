// Microsoft Graph virtual-events simulator (Teams webinars). Stand-alone fastify server for
// integration tests and demos; production code must never import it. Graph lives at
// https://graph.microsoft.com/v1.0 and sign-in at https://login.microsoftonline.com; here Graph is
// served under `${url}/v1.0`, sign-in at `${url}/{tenant}/oauth2/v2.0/{authorize,token}`, control
// at `${url}/_sim`.
import Fastify, { type FastifyInstance } from "fastify";
import { GRAPH_PREFIX, GraphError, graphErrorBody } from "./http.ts";
import { attendanceRoutes } from "./routes/attendance.ts";
import { tokenRoutes } from "./routes/auth.ts";
import { consentRoutes } from "./routes/consent.ts";
import { controlRoutes } from "./routes/control.ts";
import { eventRoutes } from "./routes/events.ts";
import { purgeRoutes } from "./routes/purge.ts";
import { registrationRoutes } from "./routes/registrations.ts";
import { subscriptionRoutes } from "./routes/subscriptions.ts";
import { TeamsSimState } from "./state.ts";
import type { TeamsSimOptions } from "./types.ts";

export { TeamsSimState } from "./state.ts";
export type { AppConfig, Knobs, TeamsSimOptions, TenantConfig } from "./types.ts";

export interface TeamsSimulator {
  /** Origin, e.g. "http://127.0.0.1:40123". */
  url: string;
  /** What AUDITORIUM_GRAPH_URL should be. */
  graphUrl: string;
  /** What AUDITORIUM_MS_LOGIN_URL should be. */
  loginUrl: string;
  state: TeamsSimState;
  close(): Promise<void>;
}

export function buildTeamsApp(state: TeamsSimState, logger = false): FastifyInstance {
  const app = Fastify({ logger });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    if (err instanceof GraphError) {
      return reply.code(err.status).send(graphErrorBody(err.code, err.message));
    }
    const status = err.statusCode ?? 500;
    const code = status === 400 ? "BadRequest" : status === 415 ? "UnsupportedMediaType" : "UnknownError";
    const body = graphErrorBody(code, req.url.startsWith(GRAPH_PREFIX) ? err.message : "error");
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send(graphErrorBody("BadRequest", "Resource not found for the segment."));
  });
  tokenRoutes(app, state);
  consentRoutes(app, state);
  eventRoutes(app, state);
  registrationRoutes(app, state);
  attendanceRoutes(app, state);
  subscriptionRoutes(app, state);
  controlRoutes(app, state);
  purgeRoutes(app, state);
  return app;
}

export async function startTeamsSimulator(options: TeamsSimOptions): Promise<TeamsSimulator> {
  if (options.tenants.length === 0) throw new Error("startTeamsSimulator: at least one tenant is required");
  const state = new TeamsSimState(options);
  const app = buildTeamsApp(state, options.logger ?? false);
  await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("Teams simulator: unexpected listen address");
  const url = `http://${addr.address}:${addr.port}`;
  return {
    url,
    graphUrl: url + GRAPH_PREFIX,
    loginUrl: url,
    state,
    close: async () => {
      await state.settled();
      await app.close();
    },
  };
}
