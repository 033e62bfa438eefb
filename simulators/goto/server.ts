// GoTo Webinar (REST API v2) simulator: a stand-alone HTTP server for integration tests and demos.
// Production code must never import it. GoTo serves the Webinar API at
// https://api.getgo.com/G2W/rest/v2 and the token endpoint at
// https://authentication.logmeininc.com/oauth/token; here both live in one process:
// `${url}/G2W/rest/v2` (apiUrl) and `${url}/oauth/token` (authUrl = url).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { control } from "./control.ts";
import { GotoError } from "./errors.ts";
import { tokenEndpoint } from "./oauth.ts";
import { compile, send, serveApi } from "./pipeline.ts";
import { attendanceRoutes } from "./routes-attendance.ts";
import { registrantRoutes } from "./routes-registrants.ts";
import { webinarRoutes } from "./routes-webinars.ts";
import { GotoSimState } from "./state.ts";
import type { SimulatorOptions } from "./types.ts";

export { GotoSimState } from "./state.ts";
export type { FaultKind, GotoAccountConfig, Knobs, SimulatorOptions } from "./types.ts";

export const API_PREFIX = "/G2W/rest/v2";
export const GOTO_ROUTES = [...webinarRoutes, ...registrantRoutes, ...attendanceRoutes];

export interface GotoSimulator {
  /** Origin; the control API is at `${url}/_sim/...`. */
  url: string;
  /** Stands for https://api.getgo.com/G2W/rest/v2. */
  apiUrl: string;
  /** Stands for https://authentication.logmeininc.com (token endpoint at `${authUrl}/oauth/token`). */
  authUrl: string;
  state: GotoSimState;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) req.destroy(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function buildGotoServer(state: GotoSimState): Server {
  const routes = compile(GOTO_ROUTES);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://sim");
      const raw = await readBody(req);
      if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
        await serveApi(state, routes, req, res, url.pathname.slice(API_PREFIX.length), url.searchParams, raw);
        return;
      }
      let result: { status?: number; body?: unknown };
      if (url.pathname === "/oauth/token" && req.method === "POST") result = tokenEndpoint(state, req, raw);
      else if (url.pathname.startsWith("/_sim/"))
        result = control(state, req.method ?? "GET", url.pathname.slice(5), raw);
      else throw new GotoError(404, { errorCode: "NOT_FOUND", message: "Not Found" });
      send(res, result.status ?? 200, result.body);
    } catch (err) {
      if (err instanceof GotoError) return send(res, err.status, err.body, err.headers);
      if (!res.headersSent) send(res, 500, { errorCode: "SIMULATOR_BUG", message: String(err) });
    }
  });
  // Faults that reset sockets must not leave keep-alive connections half-open in the pool.
  server.keepAliveTimeout = 5_000;
  return server;
}

export async function startGotoSimulator(options: SimulatorOptions): Promise<GotoSimulator> {
  if (options.accounts.length === 0) throw new Error("startGotoSimulator: at least one account is required");
  const state = new GotoSimState(options);
  const server = buildGotoServer(state);
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address}:${addr.port}`;
  return {
    url,
    apiUrl: url + API_PREFIX,
    authUrl: url,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
